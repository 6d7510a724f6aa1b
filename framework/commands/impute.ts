/** `byoc impute`: offline batch prediction of a CSV file, with progress and a summary on stderr. */
import { FileImputationUsageError, FileImputer, STANDARD_STREAM } from '../batch/file-imputer.js';
import type { AlgorithmProvider } from '../contract/services.js';
import { locateModel, ModelLocationError } from '../model/model-location.js';
import { createCommandContext } from './context.js';

export interface ImputeFlags {
  model: string;
  input: string;
  output: string;
  attributes?: string;
  fill?: boolean;
  chunkRows: number;
}

/** Exit codes: 0 done, 1 the imputation failed, 2 `--model` names no model or `--attributes` asks for what the model cannot do. */
export async function imputeCommand(builtIn: readonly AlgorithmProvider[], flags: ImputeFlags): Promise<number> {
  let location;
  try {
    location = await locateModel(flags.model);
  } catch (error) {
    if (!(error instanceof ModelLocationError)) throw error;
    process.stderr.write(`byoc impute: ${error.message}\n`);
    return 2;
  }
  // stdout may carry the CSV (--output -): everything else goes to stderr.
  const tty = process.stderr.isTTY;
  const started = performance.now();
  const seconds = (): number => (performance.now() - started) / 1000;
  try {
    const { container } = await createCommandContext(builtIn, 'impute', { modelDir: location.dir, logStream: process.stderr });
    const { rows, tally } = await container.get(FileImputer).run({
      input: flags.input,
      output: flags.output,
      attributes: flags.attributes,
      fill: flags.fill,
      chunkRows: flags.chunkRows,
      onProgress: tty ? (done) => process.stderr.write(`\r${done} rows imputed (${Math.round(done / Math.max(seconds(), 1e-3))} rows/s)`) : undefined,
    });
    const into = flags.output === STANDARD_STREAM ? 'standard output' : flags.output;
    const summary = tally.lines().map((line) => `  ${line}\n`);
    process.stderr.write(`${tty ? '\n' : ''}imputed ${rows} rows into ${into} in ${seconds().toFixed(2)} s\n${summary.join('')}`);
    return 0;
  } catch (error) {
    process.stderr.write(`${tty ? '\n' : ''}byoc impute: ${(error as Error).message}\n`);
    return error instanceof FileImputationUsageError ? 2 : 1;
  } finally {
    await location.release();
  }
}
