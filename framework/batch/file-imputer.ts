/**
 * Batch prediction of a CSV file without a server (`byoc impute`): the file is read in chunks of
 * rows, each chunk goes through the invocation pipeline like a request, and the output is written
 * to a temporary file beside the target that replaces it only once complete. So a file larger than
 * memory works, a failed run leaves no half-written output, and the input may be the output.
 */
import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { once } from 'node:events';
import { rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { finished } from 'node:stream/promises';
import { inject, injectable } from 'inversify';
import { makeRecord } from '../codecs/codec.js';
import { csvHeaderProblem } from '../codecs/csv-dialect.js';
import { readCsv } from '../codecs/csv-stream.js';
import type { InputRecord } from '../contract/records.js';
import { TOKENS } from '../contract/services.js';
import { RequestCancellation } from '../invocation/cancellation.js';
import type { InvocationPipeline, PreparedInvocation } from '../invocation/pipeline.js';
import type { ModelHost } from '../model/host.js';

export interface FileImputation {
  input: string;
  output: string;
  /** Request options, as in X-Amzn-SageMaker-Custom-Attributes. */
  attributes?: string;
  chunkRows: number;
  /** Called after each chunk with the rows written so far. */
  onProgress?: (rows: number) => void;
}

/** A failure the user can act on: printed without a stack. */
export class FileImputationError extends Error {
  override readonly name = 'FileImputationError';
}

const CSV = 'text/csv';

@injectable()
export class FileImputer {
  constructor(
    @inject(TOKENS.ModelHost) private readonly host: ModelHost,
    @inject(TOKENS.InvocationPipeline) private readonly pipeline: InvocationPipeline,
  ) {}

  /** Resolves with the number of rows written; rejects with the reason, leaving `output` as it was. */
  async run(job: FileImputation): Promise<number> {
    const state = await this.host.load();
    if (state.status !== 'ready') throw new FileImputationError(state.status === 'failed' ? state.reason : 'model not loaded');
    try {
      const prepared = this.pipeline.prepare(state, { contentType: CSV, accept: CSV, customAttributes: job.attributes });
      const target = await outputTarget(job.output);
      const temporary = path.join(path.dirname(target), `.${path.basename(target)}.${process.pid}.${Date.now().toString(36)}.tmp`);
      const out = createWriteStream(temporary, { flags: 'wx' });
      // A write error (disk full) is kept here and thrown by the next write or by finished().
      let writeError: Error | undefined;
      out.on('error', (error) => (writeError ??= error));
      try {
        const rows = await this.copy(job, prepared, out, () => writeError);
        out.end();
        await finished(out);
        await rename(temporary, target);
        return rows;
      } catch (error) {
        out.destroy();
        await rm(temporary, { force: true });
        throw error;
      }
    } finally {
      await this.host.dispose();
    }
  }

  private async copy(job: FileImputation, prepared: PreparedInvocation, out: WriteStream, failed: () => Error | undefined): Promise<number> {
    const cancellation = new RequestCancellation(undefined, '');
    let header: string[] | undefined;
    let chunk: InputRecord[] = [];
    // The same rows as arrays: presenters and the CSV encoder copy cells from them.
    let cells: string[][] = [];
    let rows = 0;
    let wroteHeader = false;

    const write = async (text: string): Promise<void> => {
      const error = failed();
      if (error) throw new FileImputationError(`cannot write ${job.output}: ${error.message}`);
      if (!out.write(text)) await once(out, 'drain');
    };
    const flush = async (): Promise<void> => {
      if (!header || (chunk.length === 0 && wroteHeader)) return;
      const output = await prepared.run({ columns: header, records: chunk, rows: cells }, { requestId: `impute-${rows}`, cancellation });
      // The first chunk carries the header; a header-only input still gets the model's columns.
      await write(prepared.encode(output, wroteHeader ? 'csv-headerless' : 'csv-header'));
      wroteHeader = true;
      rows += chunk.length;
      chunk = [];
      cells = [];
      job.onProgress?.(rows);
    };

    // The same CSV dialect as request bodies; blank lines are not records in a file.
    for await (const batch of readCsv(createReadStream(job.input), { source: job.input, blankLines: 'skip', batchRows: job.chunkRows })) {
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
