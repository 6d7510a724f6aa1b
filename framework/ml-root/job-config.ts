/**
 * Reads a training job's configuration files: hyperparameters.json, inputdataconfig.json and
 * resourceconfig.json. Each is optional (a local run may have none); a file that exists but is not
 * the expected JSON fails the job with a message naming the file.
 */
import { readFile } from 'node:fs/promises';
import { TrainingError } from '../contract/errors.js';
import type { Environment, SageMakerPaths } from './paths.js';

export interface ChannelConfig {
  ContentType?: string;
  TrainingInputMode?: 'File' | 'Pipe' | 'FastFile' | (string & {});
  S3DistributionType?: 'FullyReplicated' | 'ShardedByS3Key' | (string & {});
  [key: string]: unknown;
}

export interface ResourceConfig {
  current_host: string;
  hosts: string[];
  network_interface_name?: string;
}

export interface JobConfig {
  hyperparameters: Record<string, unknown>;
  inputDataConfig: Record<string, ChannelConfig>;
  resourceConfig: ResourceConfig;
}

async function readJsonObject(file: string, what: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new TrainingError(`cannot read ${what} (${file}): ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text.replace(/^\uFEFF/, ''));
  } catch (error) {
    throw new TrainingError(`${what} (${file}) is not valid JSON: ${(error as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new TrainingError(`${what} (${file}) must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

function parseJsonEnv(env: Environment, name: string): unknown {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return undefined;
  try {
    return JSON.parse(raw);
  } catch (error) {
    throw new TrainingError(`environment variable ${name} is not valid JSON: ${(error as Error).message}`);
  }
}

export async function readJobConfig(paths: SageMakerPaths, env: Environment = process.env): Promise<JobConfig> {
  const hyperparameters =
    (await readJsonObject(paths.hyperparametersFile, 'hyperparameters.json')) ?? (parseJsonEnv(env, 'SM_HPS') as Record<string, unknown> | undefined) ?? {};
  const inputDataConfig = ((await readJsonObject(paths.inputDataConfigFile, 'inputdataconfig.json')) ?? {}) as Record<string, ChannelConfig>;
  const resource = await readJsonObject(paths.resourceConfigFile, 'resourceconfig.json');
  const envHosts = parseJsonEnv(env, 'SM_HOSTS');
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- a JSON scalar (a host name; a number is kept as its digits)
  const current = String(resource?.current_host ?? env.SM_CURRENT_HOST ?? 'algo-1');
  const hostsRaw = resource?.hosts ?? envHosts ?? [current];
  if (!Array.isArray(hostsRaw) || !hostsRaw.every((h) => typeof h === 'string')) {
    throw new TrainingError('resourceconfig.json "hosts" must be an array of host names');
  }
  if (hostsRaw.length > 1) checkHosts(hostsRaw as string[], current);
  return {
    hyperparameters,
    inputDataConfig,
    resourceConfig: {
      current_host: current,
      hosts: hostsRaw as string[],
      network_interface_name: typeof resource?.network_interface_name === 'string' ? resource.network_interface_name : undefined,
    },
  };
}

/** A host name as SageMaker gives them (`algo-1`); each host's output data goes to a folder of that name. */
const HOST_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

/** Several hosts split the work by their names: each must be named once, this one among them. */
function checkHosts(hosts: string[], current: string): void {
  const bad = hosts.find((h) => !HOST_NAME.test(h));
  if (bad !== undefined) throw new TrainingError(`resourceconfig.json "hosts": ${JSON.stringify(bad)} is not a host name (letters, digits, ".", "_", "-")`);
  const twice = hosts.find((h, i) => hosts.indexOf(h) !== i);
  if (twice !== undefined) throw new TrainingError(`resourceconfig.json "hosts" names ${JSON.stringify(twice)} twice`);
  if (!hosts.includes(current))
    throw new TrainingError(`resourceconfig.json "current_host" ${JSON.stringify(current)} is not one of its "hosts" (${hosts.join(', ')})`);
}
