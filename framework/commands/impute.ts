/** `byoc impute`: offline batch prediction of a CSV file, with progress on a terminal. */
import path from 'node:path';
import { FileImputer } from '../batch/file-imputer.js';
import type { AlgorithmProvider } from '../contract/services.js';
import { createCommandContext } from './context.js';

export interface ImputeFlags {
  model: string;
  input: string;
  output: string;
  attributes?: string;
  chunkRows: number;
}

export async function imputeCommand(builtIn: readonly AlgorithmProvider[], flags: ImputeFlags): Promise<number> {
  const { container } = await createCommandContext(builtIn, 'impute', { modelDir: path.resolve(flags.model) });
  const tty = process.stderr.isTTY;
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  try {
    const rows = await container.get(FileImputer).run({
      input: flags.input,
      output: flags.output,
      attributes: flags.attributes,
      chunkRows: flags.chunkRows,
      onProgress: tty ? (done) => process.stderr.write(`\r${done} rows imputed (${Math.round(done / Math.max(seconds(), 1e-3))} rows/s)`) : undefined,
    });
    process.stderr.write(`${tty ? '\n' : ''}imputed ${rows} rows into ${flags.output} in ${seconds().toFixed(2)} s\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`${tty ? '\n' : ''}byoc impute: ${(error as Error).message}\n`);
    return 1;
  }
}
