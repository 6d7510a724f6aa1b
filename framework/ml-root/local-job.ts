/**
 * A training job on plain files (`byoc train --data train.csv --model-dir DIR`): the SageMaker
 * layout the runner reads, staged in a temporary folder (the hyperparameters as
 * hyperparameters.json, each channel file linked, or copied across file systems), with the model
 * going to the given folder and the output data (failure, reports) next to it.
 */
import { copyFile, link, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { resolvePaths, type SageMakerPaths } from './paths.js';

export interface LocalJobSpec {
  /** Channel name -> a CSV file (or a folder of them). */
  channels: Record<string, string>;
  /** The hyperparameters.json file, if any; `hp` entries win over it. */
  hyperparametersFile?: string;
  /** `key=value` hyperparameters. */
  hp: string[];
  modelDir: string;
  /** Default: `<modelDir>/../output`. */
  outputDir?: string;
}

export interface LocalJob {
  paths: SageMakerPaths;
  /** Removes the staged layout (the model and the output stay). */
  cleanup(): Promise<void>;
}

/** A problem with the flags or the files they name (a usage error: nothing was trained). */
export class LocalJobError extends Error {}

/** `key=value` flags into an object; a flag without `=` or with an empty key is refused. */
export function parseHpFlags(flags: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const flag of flags) {
    const eq = flag.indexOf('=');
    if (eq <= 0) throw new LocalJobError(`--hp "${flag}": expected key=value (e.g. --hp label_column=genre)`);
    out[flag.slice(0, eq).trim()] = flag.slice(eq + 1);
  }
  return out;
}

async function readHyperparametersFile(file: string): Promise<Record<string, unknown>> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new LocalJobError(`--hyperparameters ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new LocalJobError(`--hyperparameters ${file} is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw new LocalJobError(`--hyperparameters ${file} must hold a JSON object`);
  return value as Record<string, unknown>;
}

/** The channel's source as a folder under `dataDir`: a folder given is used as is, a file is linked (or copied) into one. */
async function stageChannel(name: string, source: string, dataDir: string): Promise<string> {
  let info;
  try {
    info = await stat(source);
  } catch {
    throw new LocalJobError(`${flagOf(name)} ${source}: no such file`);
  }
  if (info.isDirectory()) return path.resolve(source);
  if (!info.isFile()) throw new LocalJobError(`${flagOf(name)} ${source}: not a file or folder`);
  const dir = path.join(dataDir, name);
  await mkdir(dir, { recursive: true });
  const target = path.join(dir, path.basename(source));
  await link(path.resolve(source), target).catch(() => copyFile(source, target));
  return dir;
}

function flagOf(channel: string): string {
  return channel === 'train' ? '--data' : channel === 'validation' ? '--validation' : `--channel ${channel}=`;
}

export async function stageLocalJob(spec: LocalJobSpec): Promise<LocalJob> {
  const hyperparameters = { ...(spec.hyperparametersFile ? await readHyperparametersFile(spec.hyperparametersFile) : {}), ...parseHpFlags(spec.hp) };
  const staging = await mkdtemp(path.join(os.tmpdir(), 'byoc-train-'));
  try {
    // SM_* variables name a SageMaker job's locations: a local job's come from its flags alone
    const base = resolvePaths(staging, {});
    await mkdir(base.configDir, { recursive: true });
    await writeFile(base.hyperparametersFile, JSON.stringify(hyperparameters));
    const channelDirs = new Map<string, string>();
    for (const [name, source] of Object.entries(spec.channels)) channelDirs.set(name, await stageChannel(name, source, base.dataDir));
    // the folders' names list the channels: a folder given as is gets an (empty) entry there too
    for (const name of channelDirs.keys()) await mkdir(path.join(base.dataDir, name), { recursive: true });
    const modelDir = path.resolve(spec.modelDir);
    const outputDir = path.resolve(spec.outputDir ?? path.join(modelDir, '..', 'output'));
    const paths: SageMakerPaths = {
      ...base,
      modelDir,
      outputDir,
      outputDataDir: path.join(outputDir, 'data'),
      failureFile: path.join(outputDir, 'failure'),
      channelDir: (channel) => channelDirs.get(channel) ?? base.channelDir(channel),
    };
    return { paths, cleanup: () => rm(staging, { recursive: true, force: true }) };
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    throw error;
  }
}
