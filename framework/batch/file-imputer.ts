/**
 * Batch prediction of a CSV file without a server (`byoc impute`): the file is read in chunks of
 * rows, each chunk goes through the invocation pipeline like a request, and the output is written
 * to a temporary file beside the target that replaces it only once complete. So a file larger than
 * memory works, a failed run leaves no half-written output, and the input may be the output.
 * `-` reads standard input or writes standard output (streamed as it goes: no undo there).
 */
import { createReadStream, createWriteStream } from 'node:fs';
import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { inject, injectable } from 'inversify';
import { makeRecord } from '../codecs/codec.js';
import { ImputationTally } from './imputation-tally.js';
import { csvHeaderProblem } from '../codecs/csv-dialect.js';
import { readCsv } from '../codecs/csv-stream.js';
import { RequestError } from '../contract/errors.js';
import type { InputRecord } from '../contract/records.js';
import { TOKENS } from '../contract/services.js';
import { RequestCancellation } from '../invocation/cancellation.js';
import type { InvocationPipeline, PreparedInvocation } from '../invocation/pipeline.js';
import type { ModelHost } from '../model/host.js';

export interface FileImputation {
  /** A CSV file, or `-`: standard input. */
  input: string;
  /** Where the CSV goes, or `-`: standard output. */
  output: string;
  /** Request options, as in X-Amzn-SageMaker-Custom-Attributes. */
  attributes?: string;
  /** The input's columns with the gaps filled (the `fill` output), instead of `<column>_imputed` columns. */
  fill?: boolean;
  chunkRows: number;
  /** Called after each chunk with the rows written so far. */
  onProgress?: (rows: number) => void;
}

export interface FileImputationResult {
  rows: number;
  /** Per column: what was imputed and what was left empty. */
  tally: ImputationTally;
}

/** The `-` of --input and --output. */
export const STANDARD_STREAM = '-';

/** A failure the user can act on: printed without a stack. */
export class FileImputationError extends Error {
  override readonly name: string = 'FileImputationError';
}

/** The flags ask for something the model or the command cannot do (an unknown attribute, --fill with another output): a usage error. */
export class FileImputationUsageError extends FileImputationError {
  override readonly name = 'FileImputationUsageError';
}

const CSV = 'text/csv';

@injectable()
export class FileImputer {
  constructor(
    @inject(TOKENS.ModelHost) private readonly host: ModelHost,
    @inject(TOKENS.InvocationPipeline) private readonly pipeline: InvocationPipeline,
  ) {}

  /** Resolves with the rows written and what was filled; rejects with the reason, leaving a file `output` as it was. */
  async run(job: FileImputation): Promise<FileImputationResult> {
    const state = await this.host.load();
    if (state.status !== 'ready') throw new FileImputationError(state.status === 'failed' ? state.reason : 'model not loaded');
    try {
      const prepared = this.prepare(state, job);
      const tally = new ImputationTally(state.predictor.targets);
      if (job.output === STANDARD_STREAM) return { rows: await this.copy(job, prepared, process.stdout, tally), tally };
      const target = await outputTarget(job.output);
      const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
      const out = createWriteStream(temporary, { flags: 'wx' });
      try {
        const rows = await this.copy(job, prepared, out, tally);
        out.end();
        await finished(out);
        await rename(temporary, target);
        return { rows, tally };
      } catch (error) {
        out.destroy();
        await rm(temporary, { force: true });
        throw error;
      }
    } finally {
      await this.host.dispose();
    }
  }

  /** The request the flags make; what the model refuses of them (attributes) is the flags' fault. */
  private prepare(state: Parameters<InvocationPipeline['prepare']>[0], job: FileImputation): PreparedInvocation {
    const customAttributes = withFill(job);
    try {
      return this.pipeline.prepare(state, { contentType: CSV, accept: CSV, customAttributes });
    } catch (error) {
      if (error instanceof RequestError) throw new FileImputationUsageError(error.message);
      throw error;
    }
  }

  private async copy(job: FileImputation, prepared: PreparedInvocation, out: Writable, tally: ImputationTally): Promise<number> {
    // A write error (disk full, a closed pipe) is kept here and thrown by the next write.
    let writeError: Error | undefined;
    out.on('error', (error) => (writeError ??= error));
    const cancellation = new RequestCancellation(undefined, '');
    const observe = tally.add.bind(tally);
    let header: string[] | undefined;
    let chunk: InputRecord[] = [];
    // The same rows as arrays: presenters and the CSV encoder copy cells from them.
    let cells: string[][] = [];
    let rows = 0;
    let wroteHeader = false;

    const write = async (text: string): Promise<void> => {
      if (writeError) throw new FileImputationError(`cannot write ${job.output === STANDARD_STREAM ? 'standard output' : job.output}: ${writeError.message}`);
      if (!out.write(text)) await once(out, 'drain');
    };
    const flush = async (): Promise<void> => {
      if (!header || (chunk.length === 0 && wroteHeader)) return;
      const output = await prepared.run({ columns: header, records: chunk, rows: cells }, { requestId: `impute-${rows}`, cancellation, observe });
      // The first chunk carries the header; a header-only input still gets the model's columns.
      await write(prepared.encode(output, wroteHeader ? 'csv-headerless' : 'csv-header'));
      wroteHeader = true;
      rows += chunk.length;
      chunk = [];
      cells = [];
      job.onProgress?.(rows);
    };

    // The same CSV dialect as request bodies; blank lines are not records in a file.
    for await (const batch of readCsv(inputStream(job.input), {
      source: job.input === STANDARD_STREAM ? 'standard input' : job.input,
      blankLines: 'skip',
      batchRows: job.chunkRows,
    })) {
      for (let i = 0; i < batch.rows.length; i++) {
        const row = batch.rows[i]!;
        if (!header) {
          header = row.map((h) => h.trim());
          const problem = csvHeaderProblem(header);
          if (problem) throw new FileImputationError(`${job.input}: ${problem}`);
          continue;
        }
        if (row.length !== header.length) {
          throw new FileImputationError(`${job.input} line ${batch.lineOf(i)}: ${row.length} fields, but the header has ${header.length}`);
        }
        // makeRecord keeps a column named "__proto__" as a plain key, as the server's decoders do.
        chunk.push(makeRecord(header, row));
        cells.push(row);
        if (chunk.length >= job.chunkRows) await flush();
      }
    }
    if (!header) throw new FileImputationError(`${job.input} is empty: expected a CSV header row`);
    await flush();
    return rows;
  }
}

function inputStream(input: string): Readable {
  return input === STANDARD_STREAM ? process.stdin : createReadStream(input);
}

/** The request options with `output=fill` when asked for; a different `output` alongside is a contradiction. */
function withFill(job: FileImputation): string | undefined {
  if (!job.fill) return job.attributes;
  const output = /(?:^|,)\s*output\s*=\s*([^,]*)/.exec(job.attributes ?? '')?.[1]?.trim();
  if (output === undefined) return job.attributes ? `${job.attributes},output=fill` : 'output=fill';
  if (output !== 'fill')
    throw new FileImputationUsageError(`--fill writes the input's columns filled in, but --attributes asks for output=${output}: drop one of them`);
  return job.attributes;
}

/** The output path, checked before any work: its folder must exist, and it must not be a folder. */
async function outputTarget(output: string): Promise<string> {
  const target = path.resolve(output);
  const folder = path.dirname(target);
  const info = await stat(folder).catch(() => undefined);
  if (!info?.isDirectory()) throw new FileImputationError(`cannot write ${output}: the folder ${folder} does not exist`);
  const existing = await stat(target).catch(() => undefined);
  if (existing?.isDirectory()) throw new FileImputationError(`cannot write ${output}: it is a folder`);
  return target;
}
