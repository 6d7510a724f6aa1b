/**
 * A multi-instance SageMaker training job simulated locally: one `byoc train --ml-root` process per
 * host, each with its own ml-root and resourceconfig.json over the same channel files, run at the
 * same time; then their model folders merged as SageMaker's model.tar.gz aggregation needs it.
 */
import { copyFile, mkdir, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { rng } from '../../algorithms/datawig/core/rng.js';
import { buildMlRoot, startByoc, type MlRootOptions, type RunResult } from './e2e.js';

/** One ml-root per host under `dir` (`<dir>/<host>`), all with `options`' channel and hyperparameters. */
export async function buildHostRoots(dir: string, hosts: readonly string[], options: MlRootOptions): Promise<string[]> {
  const roots: string[] = [];
  for (const host of hosts) {
    const root = await buildMlRoot(path.join(dir, host), options);
    await writeFile(path.join(root, 'input', 'config', 'resourceconfig.json'), JSON.stringify({ current_host: host, hosts }));
    roots.push(root);
  }
  return roots;
}

/** Trains every root at once (`byoc train --ml-root`); resolves with each process's result, in order. Children are killed by e2e's killAll. */
export async function trainHosts(roots: readonly string[], env: Record<string, string> = {}, timeoutMs = 120_000): Promise<RunResult[]> {
  return Promise.all(roots.map((root) => startByoc(['train', '--ml-root', root], env).exit(timeoutMs)));
}

/** Relative paths of every file under dir, sorted (none when there is no dir). */
export async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return [];
    throw error;
  });
  for (const entry of entries) {
    if (entry.isFile()) out.push(path.relative(dir, path.join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

/** Copies every file of `dirs` into `into`; a file name two folders share is an error (SageMaker needs them apart). */
export async function mergeDirs(dirs: readonly string[], into: string): Promise<void> {
  const from = new Map<string, string>();
  for (const dir of dirs) {
    for (const name of await filesUnder(dir)) {
      const clash = from.get(name);
      if (clash !== undefined) throw new Error(`file name clash: ${name} is in ${clash} and in ${dir}`);
      from.set(name, dir);
      await mkdir(path.dirname(path.join(into, name)), { recursive: true });
      await copyFile(path.join(dir, name), path.join(into, name));
    }
  }
  await mkdir(into, { recursive: true });
}

/**
 * A table with `numeric` columns of rank 3 plus noise (c0, c1, ...) and `categorical` columns cut
 * from the first factor into 2, 3, ... levels (k0, k1, ...); `gaps` of the cells empty.
 */
export function lowRankCsv(o: { rows: number; numeric: number; categorical?: number; gaps: number; seed: number }): string {
  const r = rng(o.seed);
  const weights = Array.from({ length: o.numeric }, () => [r() * 2 - 1, r() * 2 - 1, r() * 2 - 1]);
  const levels = Array.from({ length: o.categorical ?? 0 }, (_, k) => k + 2);
  const header = [...weights.map((_, j) => `c${j}`), ...levels.map((_, k) => `k${k}`)];
  const lines = [header.join(',')];
  for (let i = 0; i < o.rows; i++) {
    const z = [r() * 2 - 1, r() * 2 - 1, r() * 2 - 1];
    const numbers = weights.map((w) => (w[0]! * z[0]! + w[1]! * z[1]! + w[2]! * z[2]! + 0.1 * (r() - 0.5)).toFixed(4));
    const classes = levels.map((n) => `L${Math.min(n - 1, Math.floor(((z[0]! + 1) / 2) * n))}`);
    lines.push([...numbers, ...classes].map((c) => (r() < o.gaps ? '' : c)).join(','));
  }
  return `${lines.join('\n')}\n`;
}
