/** Child processes of the benchmark: run to completion with a timeout, output captured. */
import { spawn } from 'node:child_process';

export interface ProcessResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** Environment without variables that configure the framework or SageMaker (so a developer's shell does not change the run). */
export function benchEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (/^(SM_|SAGEMAKER_|BYOC_|MODEL_SERVER_|ML_ROOT$|NODE_TEST|NODE_OPTIONS$)/.test(key)) continue;
    env[key] = value;
  }
  return env;
}

/** Keeps the last `limit` characters of a stream (logs of a long training can be large). */
function tail(chunks: string[], limit = 20_000): string {
  const text = chunks.join('');
  return text.length > limit ? text.slice(-limit) : text;
}

export function runProcess(command: string, args: string[], timeoutMs: number, extraEnv: Record<string, string> = {}): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(command, args, { env: { ...benchEnv(), ...extraEnv }, stdio: ['ignore', 'pipe', 'pipe'] });
    const stdout: string[] = [];
    const stderr: string[] = [];
    child.stdout.setEncoding('utf8').on('data', (d: string) => stdout.push(d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => stderr.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(new Error(`could not start ${command}: ${error.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: tail(stdout), stderr: tail(stderr), seconds: (performance.now() - started) / 1000 });
    });
  });
}
