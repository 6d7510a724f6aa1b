/**
 * One temporary folder per test file (ml-root trees, config files): made in a `before` hook, removed
 * with everything in it in an `after` hook. Call at the top level of the test file.
 */
import { after, before } from 'node:test';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

export interface TempDir {
  /** The folder (from the `before` hook on). */
  readonly path: string;
  /** A path in the folder not handed out before, `<name><n><extension>`; nothing is created there. */
  next(name: string, extension?: string): string;
}

export function useTempDir(prefix: string): TempDir {
  let dir: string | undefined;
  let count = 0;
  before(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  });
  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });
  const folder = (): string => {
    if (!dir) throw new Error('useTempDir: the folder exists only from the before hook on');
    return dir;
  };
  return {
    get path() {
      return folder();
    },
    next: (name, extension = '') => path.join(folder(), `${name}${++count}${extension}`),
  };
}
