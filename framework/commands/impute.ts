/**
 * `byoc impute`: offline batch prediction without a server. Streams the input CSV in chunks of
 * rows through the model's predictor and writes the output CSV (header first), so files larger
 * than memory work. Shows progress on a terminal.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { rm } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import path from 'node:path';
import { parse } from 'csv-parse';
import { CsvCodec } from '../codecs/index.js';
import { makeRecord } from '../codecs/codec.js';
import type { InputRecord } from '../contract/records.js';
import type { AlgorithmProvider } from '../di.js';
import { ModelHost } from '../serving/model-host.js';
import { parseCustomAttributes } from '../serving/custom-attributes.js';
import { createCommandContext } from './context.js';

export interface ImputeFlags {
  model: string;
  input: string;
  output: string;
  attributes?: string;
  chunkRows: number;
}

export async function imputeCommand(builtIn: readonly AlgorithmProvider[], flags: ImputeFlags): Promise<number> {
  const context = await createCommandContext(builtIn, 'impute');
  const host = new ModelHost(path.resolve(flags.model), context.registry, context.logger);
  const state = await host.load();
  if (state.status !== 'ready') {
    process.stderr.write(`byoc impute: ${state.status === 'failed' ? state.reason : 'model not loaded'}\n`);
    return 1;
  }
  const codec = new CsvCodec();
  const customAttributes = parseCustomAttributes(flags.attributes);
  const out = createWriteStream(flags.output);
  const parser = parse({ bom: true, skip_empty_lines: true });
  // pipeline (not pipe) so that a missing or unreadable input file reaches the catch below.
  const reading = pipeline(createReadStream(flags.input), parser);
  reading.catch(() => undefined); // observed through the for-await loop and `await reading` below
  const tty = process.stderr.isTTY;
  const started = performance.now();
  let header: string[] | undefined;
  let outputColumns: string[] | undefined;
  let chunk: InputRecord[] = [];
  let rows = 0;
  let line = 1;

  const predictOptions = (requestId: string) => ({
    accept: 'text/csv',
    customAttributes,
    rawCustomAttributes: flags.attributes ?? '',
    signal: new AbortController().signal,
    requestId,
    logger: context.logger,
  });
  const outputHeader = async (columns: string[]): Promise<string[]> =>
    (await state.predictor.predict({ columns, records: [] }, predictOptions('impute-header'))).columns;

  const flush = async (): Promise<void> => {
    if (chunk.length === 0 || !header) return;
    const result = await state.predictor.predict({ columns: header, records: chunk }, predictOptions(`impute-${rows}`));
    if (result.records.length !== chunk.length) {
      throw new Error(`the algorithm returned ${result.records.length} rows for ${chunk.length}`);
    }
    if (!outputColumns) {
      outputColumns = result.columns;
      out.write(codec.encode({ columns: outputColumns, records: [] }, 'csv-header'));
    }
    if (!out.write(codec.encode({ columns: outputColumns, records: result.records }, 'csv-headerless'))) {
      await once(out, 'drain');
    }
    rows += chunk.length;
    chunk = [];
    if (tty) {
      const seconds = (performance.now() - started) / 1000;
      process.stderr.write(`\r${rows} rows imputed (${Math.round(rows / Math.max(seconds, 1e-3))} rows/s)`);
    }
  };

  try {
    for await (const row of parser as AsyncIterable<string[]>) {
      line += 1;
      if (!header) {
        header = row.map((h) => h.trim());
        continue;
      }
      if (row.length !== header.length) {
        throw new Error(`${flags.input} record ${line - 1}: ${row.length} fields, but the header has ${header.length}`);
      }
      // makeRecord keeps a column named "__proto__" as a plain key, as the server's decoders do.
      chunk.push(makeRecord(header, row));
      if (chunk.length >= flags.chunkRows) await flush();
    }
    await flush();
    await reading;
    if (!header) throw new Error(`${flags.input} is empty: expected a CSV header row`);
    // A header-only input still gets a header-only output, with the columns the model would add.
    if (!outputColumns) out.write(codec.encode({ columns: await outputHeader(header), records: [] }, 'csv-header'));
  } catch (error) {
    out.destroy();
    await rm(flags.output, { force: true });
    process.stderr.write(`${tty ? '\n' : ''}byoc impute: ${(error as Error).message}\n`);
    return 1;
  } finally {
    await host.dispose();
  }
  out.end();
  await once(out, 'finish');
  const seconds = (performance.now() - started) / 1000;
  process.stderr.write(`${tty ? '\n' : ''}imputed ${rows} rows into ${flags.output} in ${seconds.toFixed(2)} s\n`);
  return 0;
}
