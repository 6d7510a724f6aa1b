/**
 * Managed spot training: every finished target model is saved to the checkpoint store with a
 * fingerprint of what it was trained from; a restarted job reuses a target whose fingerprint
 * matches instead of training it again (the same bytes, so the model directory is the same).
 *
 * Layout: `datawig/targets/<sha256(label)[0:16]>/round-<n>/{target.json,weights.bin,checkpoint.json}`.
 * `checkpoint.json` is written last and holds the sha256 of the other two files: a job stopped while
 * overwriting a checkpoint leaves files that do not match the record, which is then not reused.
 */
import { createHash } from 'node:crypto';
import type { ArtifactStore, InputRecord, Logger } from '../../../framework/contract/index.js';
import { CHECKPOINT_FORMAT, validateCheckpoint, type TargetCheckpoint } from '../format/checkpoint.js';
import type { ColumnType } from '../format/featurizer-spec.js';
import { readTarget, targetFiles } from '../format/model-directory.js';
import type { Task } from '../format/target-artifact.js';
import { encodeWeights } from '../format/weights.js';
import type { Fitted } from './fit-target.js';

/** Bumped when what the fingerprint covers (or how a target is trained from it) changes. */
const FINGERPRINT_VERSION = 'datawig-fingerprint/1';
const MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024;

/** What determines one target's model. */
export interface FingerprintInput {
  hyperparameters: unknown;
  label: string;
  task: Task;
  round: number;
  features: { name: string; type: ColumnType; meanLength: number }[];
  rows: readonly InputRecord[];
  valRows: readonly InputRecord[] | undefined;
}

/** One target's place in the checkpoint store and the fingerprint its checkpoint must carry. */
export interface CheckpointKey {
  label: string;
  round: number;
  fingerprint: string;
}

const sha256 = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

/** JSON with object keys sorted at every level (undefined fields left out, as JSON.stringify does). */
export function sortedJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : sortedJson(v))).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${sortedJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** Table hashes by the rows array: complete mode hands every target of a round the same array. */
const rowHashes = new WeakMap<readonly InputRecord[], string>();

/** sha256 of the rows in order, each as the JSON of its record. */
export function rowsHash(rows: readonly InputRecord[]): string {
  const known = rowHashes.get(rows);
  if (known) return known;
  const h = createHash('sha256');
  for (const r of rows) h.update(JSON.stringify(r)).update('\n');
  const out = h.digest('hex');
  rowHashes.set(rows, out);
  return out;
}

export function targetFingerprint(input: FingerprintInput): string {
  return sha256(
    sortedJson({
      version: FINGERPRINT_VERSION,
      hyperparameters: input.hyperparameters,
      label: input.label,
      task: input.task,
      round: input.round,
      features: input.features.map((f) => ({ name: f.name, type: f.type, meanLength: f.meanLength })),
      rows: rowsHash(input.rows),
      valRows: input.valRows ? rowsHash(input.valRows) : null,
    }),
  );
}

/** The folder of a target's checkpoint for one round. */
export function checkpointDir(label: string, round: number): string {
  return `datawig/targets/${sha256(label).slice(0, 16)}/round-${round}`;
}

/**
 * The checkpointed target of `key`, when there is one with the same fingerprint whose files pass
 * the model format's checks; otherwise undefined (why is logged when a checkpoint was there).
 */
export async function resumeTarget(store: ArtifactStore, logger: Logger, key: CheckpointKey): Promise<{ fitted: Fitted; hpoRows: string[] } | undefined> {
  const dir = checkpointDir(key.label, key.round);
  const recordFile = `${dir}/checkpoint.json`;
  if (!(await store.exists(recordFile))) return undefined;
  const fields = { label: key.label, round: key.round };
  let record: TargetCheckpoint;
  let loaded: Awaited<ReturnType<typeof readTarget>>;
  try {
    record = validateCheckpoint(await store.readJson(recordFile, MAX_CHECKPOINT_BYTES), recordFile);
    if (record.fingerprint !== key.fingerprint || record.label !== key.label || record.round !== key.round) {
      logger.info('datawig: checkpoint not reused (different data or hyperparameters), training the target', fields);
      return undefined;
    }
    const files = targetFiles(dir);
    if (sha256(await store.readFile(files.artifact)) !== record.targetSha256) throw new Error(`${files.artifact} does not match its checkpoint.json`);
    if (sha256(await store.readFile(files.weights)) !== record.weightsSha256) throw new Error(`${files.weights} does not match its checkpoint.json`);
    loaded = await readTarget(store, dir);
    if (loaded.artifact.label !== key.label) throw new Error(`${files.artifact} is the model of "${loaded.artifact.label}"`);
  } catch (error) {
    logger.warn('datawig: checkpoint not reused (invalid), training the target', {
      ...fields,
      problem: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
  logger.info('datawig: resumed target from checkpoint', fields);
  const fitted: Fitted = { artifact: loaded.artifact, weights: loaded.weights, valLoss: record.valLoss ?? Number.NaN };
  return { fitted, hpoRows: record.hpoRows };
}

/**
 * Saves a finished target: `target.json` and `weights.bin` first, then the `checkpoint.json` that
 * makes them valid. A failure is logged, not thrown: checkpoints only save time.
 */
export async function saveCheckpoint(store: ArtifactStore, logger: Logger, key: CheckpointKey, fitted: Fitted, hpoRows: string[]): Promise<void> {
  const dir = checkpointDir(key.label, key.round);
  const files = targetFiles(dir);
  const target = JSON.stringify(fitted.artifact);
  const weights = encodeWeights(fitted.artifact, fitted.weights);
  const record: TargetCheckpoint = {
    format: CHECKPOINT_FORMAT,
    label: key.label,
    round: key.round,
    fingerprint: key.fingerprint,
    targetSha256: sha256(target),
    weightsSha256: sha256(weights),
    valLoss: Number.isFinite(fitted.valLoss) ? fitted.valLoss : null,
    hpoRows,
  };
  try {
    await store.writeFile(files.artifact, target);
    await store.writeFile(files.weights, weights);
    await store.writeFile(`${dir}/checkpoint.json`, JSON.stringify(record));
    logger.info('datawig: target checkpointed', { label: key.label, round: key.round });
  } catch (error) {
    logger.warn('datawig: could not write the checkpoint of a target', {
      label: key.label,
      round: key.round,
      problem: error instanceof Error ? error.message : String(error),
    });
  }
}
