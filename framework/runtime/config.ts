/**
 * Framework configuration: config/default.yaml, then the YAML file named by BYOC_CONFIG, then
 * environment variables (SageMaker's names where SageMaker defines one). Validated with zod so that
 * a typo or a bad value stops the process at start with the key named.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from './package-root.js';
import { parse as parseYaml } from 'yaml';
import type { Environment } from '../ml-root/paths.js';
import * as z from 'zod/mini';
import { parseBooleanText, parseNumberText } from '../contract/values.js';
import { formatIssues } from './schema.js';

const auto = z.literal('auto');
const positiveInt = (max?: number) => z.int().check(z.positive(), ...(max === undefined ? [] : [z.maximum(max)]));
const positiveNumber = (max: number) => z.number().check(z.positive(), z.maximum(max));
const nonEmpty = () => z.string().check(z.minLength(1));

const ConfigSchema = z.strictObject({
  algorithm: z.strictObject({ default: nonEmpty() }),
  plugins: z.array(nonEmpty()),
  logging: z.strictObject({ level: z.enum(['debug', 'info', 'warn', 'error', 'silent']), format: z.enum(['auto', 'json', 'text']) }),
  server: z.strictObject({
    port: z.int().check(z.minimum(1), z.maximum(65535)),
    host: nonEmpty(),
    workers: z.union([auto, positiveInt(256)]),
    timeoutSeconds: positiveNumber(3600),
    maxPayloadMb: positiveNumber(1024),
    maxRows: positiveInt(),
    maxColumns: positiveInt(),
    shutdownGraceSeconds: positiveNumber(3600),
    keepAliveSeconds: positiveNumber(3600),
    inferenceThread: z.boolean(),
    inferenceThreadMinKb: positiveNumber(1024 * 1024),
    streamMinMb: positiveNumber(1024 * 1024),
    multiModel: z.boolean(),
    multiModelMemoryMb: z.union([auto, positiveNumber(16 * 1024 * 1024)]),
  }),
  batch: z.strictObject({
    enabled: z.boolean(),
    maxPayloadMb: positiveNumber(1024),
    strategy: z.enum(['MULTI_RECORD', 'SINGLE_RECORD']),
    maxConcurrentTransforms: z.union([auto, positiveInt()]),
  }),
  training: z.strictObject({
    abortGraceSeconds: positiveNumber(86400),
    maxChannelMb: positiveNumber(1024 * 1024),
    maxChannelRows: positiveInt(),
    maxTableHeapShare: positiveNumber(1),
    threads: z.union([auto, positiveInt(1024)]),
  }),
});

export type FrameworkConfig = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export { PACKAGE_ROOT };
export const DEFAULT_CONFIG_FILE = path.join(PACKAGE_ROOT, 'config', 'default.yaml');

function readYaml(file: string): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (error) {
    throw new ConfigError(`configuration file ${file} is not valid YAML: ${(error as Error).message}`);
  }
  if (value === null || value === undefined) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(`configuration file ${file} must hold a mapping`);
  return value as Record<string, unknown>;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepMerge(base: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(over)) {
    out[key] = isPlainObject(value) && isPlainObject(base[key]) ? deepMerge(base[key], value) : value;
  }
  return out;
}

type EnvParser = (raw: string, name: string) => unknown;

const asNumber: EnvParser = (raw, name) => {
  // The one number parser of the framework: plain decimal notation ('0x10' and '' are not numbers).
  const n = parseNumberText(raw);
  if (Number.isNaN(n)) throw new ConfigError(`${name}="${raw}": expected a number`);
  return n;
};
const asNumberOrAuto: EnvParser = (raw, name) => (raw.trim().toLowerCase() === 'auto' ? 'auto' : asNumber(raw, name));
const asBoolean: EnvParser = (raw, name) => {
  // An empty variable is unset: false.
  const v = raw.trim() === '' ? false : parseBooleanText(raw);
  if (v === undefined) throw new ConfigError(`${name}="${raw}": expected true or false`);
  return v;
};
const asString: EnvParser = (raw) => raw.trim();
const asList: EnvParser = (raw) =>
  raw
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');

/** Environment variable → config key path; the first variable that is set wins. */
const ENV_OVERRIDES: Array<{ names: string[]; path: string[]; parse: EnvParser }> = [
  { names: ['BYOC_DEFAULT_ALGORITHM'], path: ['algorithm', 'default'], parse: asString },
  { names: ['BYOC_PLUGINS'], path: ['plugins'], parse: asList },
  { names: ['BYOC_LOG_LEVEL'], path: ['logging', 'level'], parse: asString },
  { names: ['BYOC_LOG_FORMAT'], path: ['logging', 'format'], parse: asString },
  { names: ['SAGEMAKER_BIND_TO_PORT'], path: ['server', 'port'], parse: asNumber },
  { names: ['BYOC_HOST'], path: ['server', 'host'], parse: asString },
  { names: ['SAGEMAKER_MODEL_SERVER_WORKERS', 'MODEL_SERVER_WORKERS'], path: ['server', 'workers'], parse: asNumberOrAuto },
  { names: ['SAGEMAKER_MODEL_SERVER_TIMEOUT', 'MODEL_SERVER_TIMEOUT'], path: ['server', 'timeoutSeconds'], parse: asNumber },
  { names: ['BYOC_MAX_PAYLOAD_MB'], path: ['server', 'maxPayloadMb'], parse: asNumber },
  { names: ['BYOC_MAX_ROWS'], path: ['server', 'maxRows'], parse: asNumber },
  { names: ['BYOC_MAX_COLUMNS'], path: ['server', 'maxColumns'], parse: asNumber },
  { names: ['BYOC_SHUTDOWN_GRACE_SECONDS'], path: ['server', 'shutdownGraceSeconds'], parse: asNumber },
  { names: ['BYOC_KEEP_ALIVE_SECONDS'], path: ['server', 'keepAliveSeconds'], parse: asNumber },
  { names: ['BYOC_INFERENCE_THREAD'], path: ['server', 'inferenceThread'], parse: asBoolean },
  { names: ['BYOC_INFERENCE_THREAD_MIN_KB'], path: ['server', 'inferenceThreadMinKb'], parse: asNumber },
  { names: ['BYOC_STREAM_MIN_MB'], path: ['server', 'streamMinMb'], parse: asNumber },
  { names: ['SAGEMAKER_MULTI_MODEL'], path: ['server', 'multiModel'], parse: asBoolean },
  { names: ['BYOC_MULTI_MODEL_MEMORY_MB'], path: ['server', 'multiModelMemoryMb'], parse: asNumberOrAuto },
  { names: ['SAGEMAKER_BATCH'], path: ['batch', 'enabled'], parse: asBoolean },
  { names: ['SAGEMAKER_MAX_PAYLOAD_IN_MB'], path: ['batch', 'maxPayloadMb'], parse: asNumber },
  { names: ['SAGEMAKER_BATCH_STRATEGY'], path: ['batch', 'strategy'], parse: asString },
  { names: ['SAGEMAKER_MAX_CONCURRENT_TRANSFORMS'], path: ['batch', 'maxConcurrentTransforms'], parse: asNumberOrAuto },
  { names: ['BYOC_ABORT_GRACE_SECONDS'], path: ['training', 'abortGraceSeconds'], parse: asNumber },
  { names: ['BYOC_MAX_CHANNEL_MB'], path: ['training', 'maxChannelMb'], parse: asNumber },
  { names: ['BYOC_MAX_CHANNEL_ROWS'], path: ['training', 'maxChannelRows'], parse: asNumber },
  { names: ['BYOC_MAX_TABLE_HEAP_SHARE'], path: ['training', 'maxTableHeapShare'], parse: asNumber },
  { names: ['BYOC_TRAINING_THREADS'], path: ['training', 'threads'], parse: asNumberOrAuto },
];

/** Documented list of the variables (for `byoc config` and the README). */
export const ENVIRONMENT_VARIABLES = ENV_OVERRIDES.map((o) => ({ names: o.names, key: o.path.join('.') }));

function setPath(target: Record<string, unknown>, keys: string[], value: unknown): void {
  let node = target;
  for (const key of keys.slice(0, -1)) {
    if (!isPlainObject(node[key])) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  node[keys[keys.length - 1]!] = value;
}

export interface LoadConfigOptions {
  env?: Environment;
  /** Replaces config/default.yaml (tests). */
  defaultFile?: string;
}

export function loadConfig(options: LoadConfigOptions = {}): FrameworkConfig {
  const env = options.env ?? process.env;
  let merged = readYaml(options.defaultFile ?? DEFAULT_CONFIG_FILE);
  const extra = env.BYOC_CONFIG?.trim();
  if (extra) merged = deepMerge(merged, readYaml(path.resolve(extra)));
  const sources = new Map<string, string>();
  for (const override of ENV_OVERRIDES) {
    const name = override.names.find((n) => env[n] !== undefined && env[n] !== '');
    if (!name) continue;
    let value: unknown;
    try {
      value = override.parse(env[name]!, name);
    } catch (error) {
      throw new ConfigError(`invalid configuration: ${(error as Error).message} (config key ${override.path.join('.')})`);
    }
    setPath(merged, override.path, value);
    sources.set(override.path.join('.'), name);
  }
  const result = ConfigSchema.safeParse(merged);
  if (!result.success) {
    const problems = formatIssues(result.error.issues, (key) => sources.get(key)).map((line) => `- ${line}`);
    const files = [options.defaultFile ?? DEFAULT_CONFIG_FILE, ...(extra ? [path.resolve(extra)] : [])];
    throw new ConfigError(`invalid configuration (files: ${files.join(', ')}):\n${problems.join('\n')}`);
  }
  return result.data;
}
