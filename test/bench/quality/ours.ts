/**
 * Runs our imputer through its public interface, as a user would: a SageMaker-style ml-root with the
 * masked table as the train channel, `byoc train`, then `byoc impute` on the same masked table, and
 * the `columns` presenter's `<column>_imputed` cells read back.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse/sync';
import { runProcess } from './processes.js';

/** dist/test/bench/quality → dist/container/image/main.js (the build this benchmark measures). */
export const BYOC_MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'container', 'image', 'main.js');

/** A named set of hyperparameters for our imputer (values as SageMaker passes them: strings). */
export interface OursVariant {
  name: string;
  hyperparameters: Record<string, string>;
}

export interface OursRun {
  /** The `byoc train` process, start-up included. */
  trainSeconds: number;
  /** The training job's own seconds (the manifest's training_seconds: from the read data to the written model). */
  fitSeconds: number;
  imputeSeconds: number;
  /** Per requested column: the `_imputed` cell of every row (null where the cell was left empty). */
  imputed: Map<string, (string | null)[]>;
}

export interface OursRequest {
  workDir: string;
  maskedCsv: string;
  hyperparameters: Record<string, string>;
  columns: string[];
  timeoutMs: number;
}

/** Splits "k=v,k=v" at the commas that start a new key, so values may contain commas ("column_types=a:text,b:numeric"). */
export function parseAssignments(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  if (!text.trim()) return out;
  for (const part of text.split(/,(?=\s*[A-Za-z_][A-Za-z0-9_]*=)/)) {
    const at = part.indexOf('=');
    if (at <= 0) throw new Error(`hyperparameter "${part}": expected key=value`);
    out[part.slice(0, at).trim()] = part.slice(at + 1).trim();
  }
  return out;
}

/** "--variant name:k=v,k=v" → a variant. */
export function parseVariant(text: string): OursVariant {
  const at = text.indexOf(':');
  const name = at < 0 ? text.trim() : text.slice(0, at).trim();
  if (!/^[A-Za-z0-9_.-]+$/.test(name)) throw new Error(`--variant "${text}": expected name:k=v,k=v with a name of letters, digits, "_", "." or "-"`);
  return { name, hyperparameters: at < 0 ? {} : parseAssignments(text.slice(at + 1)) };
}

/** The job's output/failure if it wrote one, else the error lines of its output (stack frames left out). */
async function failureReason(root: string, stderr: string, stdout: string): Promise<string> {
  const file = path.join(root, 'output', 'failure');
  const lines = existsSync(file)
    ? (await readFile(file, 'utf8')).split('\n')
    : `${stderr}\n${stdout}`.split('\n').filter((l) => l.trim() && !/^\s+at /.test(l));
  const errors = lines.filter((l) => /error|fail/i.test(l));
  return (errors.length ? errors : lines).slice(0, 3).join(' | ');
}

export async function runOurs(request: OursRequest): Promise<OursRun> {
  const root = path.join(request.workDir, 'ml-root');
  await mkdir(path.join(root, 'input', 'data', 'train'), { recursive: true });
  await mkdir(path.join(root, 'input', 'config'), { recursive: true });
  await writeFile(path.join(root, 'input', 'data', 'train', 'train.csv'), await readFile(request.maskedCsv));
  await writeFile(path.join(root, 'input', 'config', 'hyperparameters.json'), JSON.stringify(request.hyperparameters));
  const train = await runProcess(process.execPath, [BYOC_MAIN, 'train', '--ml-root', root], request.timeoutMs);
  if (train.code !== 0) {
    const why = train.signal === 'SIGKILL' ? `timed out after ${request.timeoutMs / 1000} s` : await failureReason(root, train.stderr, train.stdout);
    throw new Error(`byoc train failed (exit ${train.code ?? train.signal}): ${why}`);
  }
  const output = path.join(request.workDir, 'imputed.csv');
  const impute = await runProcess(
    process.execPath,
    [BYOC_MAIN, 'impute', '--model', path.join(root, 'model'), '--input', request.maskedCsv, '--output', output],
    request.timeoutMs,
  );
  if (impute.code !== 0)
    throw new Error(`byoc impute failed (exit ${impute.code ?? impute.signal}): ${(impute.stderr || impute.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  const records = parse(await readFile(output, 'utf8'), { columns: true, skip_empty_lines: false, relax_column_count: false }) as Record<string, string>[];
  const imputed = new Map<string, (string | null)[]>();
  for (const column of request.columns) {
    const key = `${column}_imputed`;
    // a column the model does not impute (e.g. typed as text) has no _imputed column: every cell stays empty
    imputed.set(
      column,
      records.map((r) => (r[key] === undefined || r[key] === '' ? null : r[key])),
    );
  }
  return { trainSeconds: train.seconds, fitSeconds: await trainingSeconds(path.join(root, 'model')), imputeSeconds: impute.seconds, imputed };
}

/** metrics.training_seconds of the model's manifest (NaN if it is not there). */
async function trainingSeconds(modelDir: string): Promise<number> {
  try {
    const manifest = JSON.parse(await readFile(path.join(modelDir, 'manifest.json'), 'utf8')) as { metrics?: Record<string, unknown> };
    const s = manifest.metrics?.training_seconds;
    return typeof s === 'number' ? s : NaN;
  } catch {
    return NaN;
  }
}
