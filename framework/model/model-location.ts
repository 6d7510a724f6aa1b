/**
 * What `--model` may name: a model directory (the training job's model dir, with manifest.json),
 * or the `model.tar.gz` SageMaker makes of it, unpacked here into a temporary directory. Anything
 * else that people pass by mistake (an ml-root, a job's output folder) gets a message saying what
 * to pass instead.
 */
import type { Stats } from 'node:fs';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { extract, type ReadEntry } from 'tar';
import { MANIFEST_FILE } from './manifest.js';

/** A model directory ready to load; `release` removes what was unpacked for it. */
export interface ModelLocation {
  dir: string;
  /** Set when `dir` was unpacked from an archive. */
  unpackedFrom?: string;
  release(): Promise<void>;
}

/** A `--model` that is not a model: printed as it is, exit code 2. */
export class ModelLocationError extends Error {
  override readonly name = 'ModelLocationError';
}

/** Bounds of an archive, which is untrusted input: unpacked bytes and entries. */
export const MAX_UNPACKED_BYTES = 8 * 1024 ** 3;
export const MAX_ARCHIVE_ENTRIES = 100_000;

const ARCHIVE = /\.(tar\.gz|tgz|tar)$/i;

const exists = async (p: string): Promise<boolean> => (await stat(p).catch(() => undefined)) !== undefined;

export async function locateModel(given: string): Promise<ModelLocation> {
  const resolved = path.resolve(given);
  const info = await stat(resolved).catch(() => undefined);
  if (!info) throw new ModelLocationError(`--model ${given}: no such file or directory`);
  if (info.isFile()) {
    if (!ARCHIVE.test(resolved)) throw new ModelLocationError(`--model ${given} is a file: pass the model directory, or its model.tar.gz`);
    return unpack(resolved);
  }
  if (!info.isDirectory()) throw new ModelLocationError(`--model ${given} is neither a directory nor a model.tar.gz`);
  if (!(await exists(path.join(resolved, MANIFEST_FILE)))) {
    const hint = await misplacedModelHint(given, resolved);
    if (hint) throw new ModelLocationError(hint);
    // No manifest and nothing better to say: the model host's own message explains it.
  }
  return { dir: resolved, release: () => Promise.resolve() };
}

/** What to pass instead, when `dir` holds a model one level down or a model.tar.gz. */
async function misplacedModelHint(given: string, dir: string): Promise<string | undefined> {
  if (await exists(path.join(dir, 'model', MANIFEST_FILE))) {
    return `--model ${given} looks like an ml-root (its model is in model/): pass --model ${path.join(given, 'model')}`;
  }
  for (const archive of ['model.tar.gz', path.join('output', 'model.tar.gz')]) {
    if (await exists(path.join(dir, archive))) return `--model ${given} holds no model but ${archive}: pass --model ${path.join(given, archive)}`;
  }
  return undefined;
}

/** Unpacks regular files and folders only (no links, devices or paths leaving the folder), within the bounds above. */
async function unpack(archive: string): Promise<ModelLocation> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'byoc-model-'));
  const release = (): Promise<void> => rm(dir, { recursive: true, force: true });
  let bytes = 0;
  let entries = 0;
  let refused: string | undefined;
  try {
    await extract({
      file: archive,
      cwd: dir,
      strict: true,
      preserveOwner: false,
      filter: (entryPath: string, entry: ReadEntry | Stats) => {
        const type = 'type' in entry ? entry.type : 'File';
        if (type !== 'File' && type !== 'OldFile' && type !== 'Directory') {
          refused ??= `${entryPath} is a ${type}, not a file or folder`;
          return false;
        }
        bytes += entry.size;
        entries += 1;
        if (bytes > MAX_UNPACKED_BYTES || entries > MAX_ARCHIVE_ENTRIES) {
          refused ??= `it unpacks to more than ${MAX_UNPACKED_BYTES / 1024 ** 3} GiB or ${MAX_ARCHIVE_ENTRIES} entries`;
          return false;
        }
        return true;
      },
    });
  } catch (error) {
    await release();
    throw new ModelLocationError(`--model ${archive}: cannot unpack it: ${(error as Error).message}`);
  }
  if (refused) {
    await release();
    throw new ModelLocationError(`--model ${archive}: refused to unpack it: ${refused}`);
  }
  // SageMaker tars the model dir's content; an archive of the folder itself has it one level down.
  if (!(await exists(path.join(dir, MANIFEST_FILE)))) {
    const top = await readdir(dir);
    if (top.length === 1 && (await exists(path.join(dir, top[0]!, MANIFEST_FILE)))) return { dir: path.join(dir, top[0]!), unpackedFrom: archive, release };
    await release();
    throw new ModelLocationError(`--model ${archive}: the archive holds no ${MANIFEST_FILE} (is it a model.tar.gz of this framework?)`);
  }
  return { dir, unpackedFrom: archive, release };
}
