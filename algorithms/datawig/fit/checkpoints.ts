/**
 * Managed spot training: every finished target model is saved to the checkpoint store with a
 * fingerprint of what it was trained from; a restarted job reuses a target whose fingerprint
 * matches instead of training it again (the same bytes, so the model directory is the same).
 *
 * Layout: `datawig/<scope>/targets/<sha256(label)[0:16]>/round-<n>/{target.json,weights.bin,checkpoint.json}`,
 * where the scope is a hash of the job's hyperparameters: the training jobs of a SageMaker tuning job
 * are all given the same checkpoint prefix, and with it they would overwrite each other's files.
 * `checkpoint.json` is written last and holds the sha256 of the other two files: a job stopped while
 * overwriting a checkpoint leaves files that do not match the record, which is then not reused.
 *
 * The target being trained also has epoch checkpoints, one per search candidate:
 * `round-<n>/progress-<candidate>/{state.json,arrays.bin,manifest.json}` (format/checkpoint.ts),
 * so that a restarted job continues it from its last saved epoch.
 */
import { createHash } from 'node:crypto';
import type { ArtifactStore, InputRecord, Logger } from '../../../framework/contract/index.js';
import {
  CHECKPOINT_FORMAT,
  decodeProgressArrays,
  encodeProgressArrays,
  PROGRESS_FORMAT,
  validateCheckpoint,
  validateProgressManifest,
  validateProgressState,
  type ProgressManifest,
  type ProgressState,
  type TargetCheckpoint,
} from '../format/checkpoint.js';
import type { ColumnType } from '../format/featurizer-spec.js';
import { readTarget, targetFiles } from '../format/model-directory.js';
import type { Task } from '../format/target-artifact.js';
import { encodeWeights } from '../format/weights.js';
import type { Fitted } from './fit-target.js';
import type { EpochCheckpoints, TrainState } from './train-net.js';

/** Bumped when what the fingerprint covers (or how a target is trained from it) changes. */
// 2: lazy Adam on the embedding (the same inputs train other weights than with /1)
const FINGERPRINT_VERSION = 'datawig-fingerprint/2';
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
  /** The families the fit may choose among (complete mode's later rounds); absent: all. */
  families?: readonly string[];
}

/** One target's place in the checkpoint store and the fingerprint its checkpoint must carry. */
export interface CheckpointKey {
  /** checkpointScope() of the job's hyperparameters. */
  scope: string;
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
      ...(input.families ? { families: input.families } : {}),
    }),
  );
}

/** The folder of the checkpoints of the jobs with these hyperparameters (a hash of their sorted JSON). */
export function checkpointScope(hyperparameters: unknown): string {
  return sha256(sortedJson(hyperparameters)).slice(0, 16);
}

/** The folder of a target's checkpoint for one round. */
export function checkpointDir(scope: string, label: string, round: number): string {
  return `datawig/${scope}/targets/${sha256(label).slice(0, 16)}/round-${round}`;
}

/**
 * The checkpointed target of `key`, when there is one with the same fingerprint whose files pass
 * the model format's checks; otherwise undefined (why is logged when a checkpoint was there).
 */
export async function resumeTarget(store: ArtifactStore, logger: Logger, key: CheckpointKey): Promise<{ fitted: Fitted; hpoRows: string[] } | undefined> {
  const dir = checkpointDir(key.scope, key.label, key.round);
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
  const dir = checkpointDir(key.scope, key.label, key.round);
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

/** An epoch checkpoint's files are at most this large (a 2^17 x 128 table, four copies, fits). */
const MAX_PROGRESS_BYTES = 1024 * 1024 * 1024;
/**
 * An epoch checkpoint is written after an epoch once the training since the last one took at least
 * this many times what that write took: every epoch when epochs are long, and never more than about
 * 1/10 of the training time when they are short (a 50-row table trains an epoch in milliseconds).
 */
const WRITE_EVERY_COST_FACTOR = 10;

/** One candidate's epoch checkpoint: its place and the fingerprint it must carry. */
export interface ProgressKey extends CheckpointKey {
  /** Candidate of the hyper-parameter search (0 without a search). */
  candidate: number;
}

/** The folder of a candidate's epoch checkpoint. */
export function progressDir(scope: string, label: string, round: number, candidate: number): string {
  return `${checkpointDir(scope, label, round)}/progress-${candidate}`;
}

function progressFiles(key: { scope: string; label: string; round: number; candidate: number }) {
  const dir = progressDir(key.scope, key.label, key.round, key.candidate);
  return { state: `${dir}/state.json`, arrays: `${dir}/arrays.bin`, manifest: `${dir}/manifest.json` };
}

/** The epoch checkpoints of one candidate: the verified saved state (if any) and the writer of new ones. */
export async function openEpochCheckpoints(store: ArtifactStore, logger: Logger, key: ProgressKey): Promise<EpochCheckpoints> {
  return new EpochCheckpointStore(store, logger, key, await readProgress(store, logger, key));
}

/** A saved state when there is one that verifies (why not is logged when there was a manifest). */
async function readProgress(store: ArtifactStore, logger: Logger, key: ProgressKey): Promise<TrainState | undefined> {
  const files = progressFiles(key);
  if (!(await store.exists(files.manifest))) return undefined;
  const fields = { label: key.label, round: key.round, candidate: key.candidate };
  try {
    const manifest = validateProgressManifest(await store.readJson(files.manifest, MAX_CHECKPOINT_BYTES), files.manifest);
    if (manifest.status === 'superseded') return undefined;
    if (manifest.fingerprint !== key.fingerprint || manifest.label !== key.label || manifest.round !== key.round || manifest.candidate !== key.candidate) {
      logger.info('datawig: epoch checkpoint not resumed (different data or hyperparameters), training the target afresh', fields);
      return undefined;
    }
    const stateBytes = await store.readFile(files.state, MAX_CHECKPOINT_BYTES);
    if (sha256(stateBytes) !== manifest.stateSha256) throw new Error(`${files.state} does not match its manifest.json`);
    const arrayBytes = await store.readFile(files.arrays, MAX_PROGRESS_BYTES);
    if (sha256(arrayBytes) !== manifest.arraysSha256) throw new Error(`${files.arrays} does not match its manifest.json`);
    const state = validateProgressState(JSON.parse(new TextDecoder().decode(stateBytes)), files.state);
    if (state.epoch !== manifest.epoch) throw new Error(`${files.state} is at epoch ${state.epoch}, its manifest at ${manifest.epoch}`);
    return trainState(state, decodeProgressArrays(state.arrays, arrayBytes, files.arrays));
  } catch (error) {
    logger.warn('datawig: epoch checkpoint not resumed (invalid), training the target afresh', {
      ...fields,
      problem: error instanceof Error ? error.message : String(error),
    });
    return undefined;
  }
}

/** JSON's null back to what it stood for: NaN, or Infinity for the best loss before any epoch. */
function trainState(s: ProgressState, arrays: Map<string, Float32Array | Int32Array>): TrainState {
  const num = (v: number | null): number => v ?? Number.NaN;
  return {
    epoch: s.epoch,
    steps: s.steps,
    rngState: s.rngState,
    sinceBest: s.sinceBest,
    bestLoss: s.bestLoss ?? (s.bestEpoch > 0 ? Number.NaN : Infinity),
    bestEpoch: s.bestEpoch,
    history: s.history.map((h) => ({
      epoch: h.epoch,
      trainLoss: num(h.trainLoss),
      valLoss: num(h.valLoss),
      ...(h.valAccuracy !== undefined ? { valAccuracy: num(h.valAccuracy) } : {}),
      ...(h.valRmse !== undefined ? { valRmse: num(h.valRmse) } : {}),
    })),
    elapsedMs: s.elapsedSeconds * 1000,
    stopReason: s.stopReason ?? undefined,
    arrays,
  };
}

class EpochCheckpointStore implements EpochCheckpoints {
  /** What the last write took, and when it ended (ms). */
  private lastCostMs = 0;
  private lastEnd = Date.now();

  constructor(
    private readonly store: ArtifactStore,
    private readonly logger: Logger,
    private readonly key: ProgressKey,
    private readonly saved: TrainState | undefined,
  ) {}

  takeResume(problem: (s: TrainState) => string | undefined): TrainState | undefined {
    if (!this.saved) return undefined;
    const fields = { label: this.key.label, round: this.key.round, candidate: this.key.candidate };
    const why = problem(this.saved);
    if (why) {
      this.logger.warn('datawig: epoch checkpoint not resumed (invalid), training the target afresh', { ...fields, problem: why });
      return undefined;
    }
    this.logger.info('datawig: resumed target from epoch checkpoint', { ...fields, epoch: this.saved.epoch, finished: this.saved.stopReason !== undefined });
    return this.saved;
  }

  async afterEpoch(state: () => TrainState, final: boolean): Promise<void> {
    if (!final && this.lastCostMs > 0 && Date.now() - this.lastEnd < WRITE_EVERY_COST_FACTOR * this.lastCostMs) return;
    const started = Date.now();
    const s = state();
    const bytes = await this.write(s);
    this.lastEnd = Date.now();
    this.lastCostMs = Math.max(1, this.lastEnd - started);
    if (bytes !== undefined)
      this.logger.info('datawig: epoch checkpointed', {
        label: this.key.label,
        round: this.key.round,
        candidate: this.key.candidate,
        epoch: s.epoch,
        finished: final,
        bytes,
        ms: this.lastCostMs,
      });
  }

  /** state.json and arrays.bin, then the manifest; the bytes written (undefined: failed, logged). */
  private async write(s: TrainState): Promise<number | undefined> {
    const files = progressFiles(this.key);
    const { layout, bytes } = encodeProgressArrays(s.arrays);
    const state: ProgressState = {
      epoch: s.epoch,
      steps: s.steps,
      rngState: s.rngState,
      sinceBest: s.sinceBest,
      bestLoss: Number.isFinite(s.bestLoss) ? s.bestLoss : null,
      bestEpoch: s.bestEpoch,
      history: s.history,
      elapsedSeconds: s.elapsedMs / 1000,
      stopReason: s.stopReason ?? null,
      arrays: layout,
    };
    const stateText = JSON.stringify(state);
    const manifest: ProgressManifest = {
      format: PROGRESS_FORMAT,
      status: 'in-progress',
      label: this.key.label,
      round: this.key.round,
      candidate: this.key.candidate,
      fingerprint: this.key.fingerprint,
      epoch: s.epoch,
      stateSha256: sha256(stateText),
      arraysSha256: sha256(bytes),
    };
    try {
      await this.store.writeFile(files.state, stateText);
      await this.store.writeFile(files.arrays, bytes);
      await this.store.writeFile(files.manifest, JSON.stringify(manifest));
      return bytes.byteLength + stateText.length;
    } catch (error) {
      this.logger.warn('datawig: could not write an epoch checkpoint', { label: this.key.label, round: this.key.round, problem: String(error) });
      return undefined;
    }
  }
}

/**
 * Once a target is checkpointed as finished, its candidates' epoch checkpoints are superseded: the
 * manifest first (so they are never resumed), then the two files emptied (so storage does not grow).
 */
export async function supersedeProgress(store: ArtifactStore, logger: Logger, key: CheckpointKey, candidates: number): Promise<void> {
  for (let candidate = 0; candidate < candidates; candidate++) {
    const files = progressFiles({ ...key, candidate });
    try {
      if (!(await store.exists(files.manifest))) continue;
      const text = new TextDecoder().decode(await store.readFile(files.manifest, MAX_CHECKPOINT_BYTES));
      if (text.includes('"status":"superseded"')) continue;
      const manifest: ProgressManifest = {
        format: PROGRESS_FORMAT,
        status: 'superseded',
        label: key.label,
        round: key.round,
        candidate,
        fingerprint: key.fingerprint,
      };
      await store.writeFile(files.manifest, JSON.stringify(manifest));
      await store.writeFile(files.state, '');
      await store.writeFile(files.arrays, new Uint8Array(0));
    } catch (error) {
      logger.warn('datawig: could not supersede an epoch checkpoint', { label: key.label, round: key.round, candidate, problem: String(error) });
    }
  }
}
