/**
 * `checkpoint.json`: the record that makes a target model saved in the checkpoint store
 * (`datawig/targets/<label-hash>/round-<n>/`) valid. It is written last, after `target.json` and
 * `weights.bin`, and names the fingerprint of what the model was trained from and the sha256 of both
 * files, so that a half-overwritten checkpoint (new files, old record) is never taken for valid.
 */
import { arrayOf, arrayOfAtMost, check, count, fields, intIn, ModelFormatError, numberIn, oneOf, storedNumber, string } from './json-rules.js';
import type { EpochReport } from './target-artifact.js';

export const CHECKPOINT_FORMAT = 'datawig-checkpoint/1';

export interface TargetCheckpoint {
  format: typeof CHECKPOINT_FORMAT;
  label: string;
  /** Complete-mode round (1-based; single mode: 1). */
  round: number;
  /** sha256 of everything that determines the model (fit/checkpoints.ts). */
  fingerprint: string;
  /** sha256 of the bytes of `target.json` and `weights.bin` beside it. */
  targetSha256: string;
  weightsSha256: string;
  /** The selected candidate's calibrated validation loss (null when not finite). */
  valLoss: number | null;
  /** This target's rows of hpo_results.csv (empty without a search). */
  hpoRows: string[];
}

const sha256 = (v: unknown) => (typeof v === 'string' && /^[0-9a-f]{64}$/.test(v) ? undefined : { path: [], expected: 'a sha256 in hex', got: v });

const checkpointRule = fields<TargetCheckpoint>(
  {
    format: oneOf(CHECKPOINT_FORMAT),
    label: string,
    round: intIn(1, 1000),
    fingerprint: sha256,
    targetSha256: sha256,
    weightsSha256: sha256,
    valLoss: storedNumber,
    hpoRows: arrayOf(string),
  },
  {},
);

/** A parsed `checkpoint.json`, checked (ModelFormatError naming the file otherwise). */
export function validateCheckpoint(value: unknown, file: string): TargetCheckpoint {
  return check<TargetCheckpoint>(checkpointRule, value, file);
}

/**
 * An epoch checkpoint of the target being trained (`.../round-<n>/progress-<candidate>/`):
 * `state.json` (the scalars of the training after an epoch) and `arrays.bin` (its typed arrays:
 * weights, best weights, optimizer moments, the shuffled row order) are written first, then
 * `manifest.json` with the sha256 of both. Once the target is checkpointed as finished, the manifest
 * is overwritten as `superseded` and both files are emptied, so storage does not grow.
 */
export const PROGRESS_FORMAT = 'datawig-progress/1';

export interface ProgressManifest {
  format: typeof PROGRESS_FORMAT;
  status: 'in-progress' | 'superseded';
  label: string;
  round: number;
  /** Candidate of the hyper-parameter search (0 without a search). */
  candidate: number;
  fingerprint: string;
  /** In progress: the epochs finished and the sha256 of `state.json` and `arrays.bin`. */
  epoch?: number;
  stateSha256?: string;
  arraysSha256?: string;
}

/** One typed array in `arrays.bin`: element type, offset in bytes, length in elements. */
export interface ProgressArray {
  name: string;
  dtype: 'float32' | 'int32';
  offset: number;
  length: number;
}

/** `state.json`. NaN and Infinity are stored as null (JSON has neither). */
export interface ProgressState {
  /** Epochs finished. */
  epoch: number;
  /** Optimizer steps taken. */
  steps: number;
  /** State of the shuffling generator after the last epoch's shuffle. */
  rngState: number;
  /** Epochs since the best one (early stopping's counter). */
  sinceBest: number;
  /** The best selection loss so far (null: no epoch yet). */
  bestLoss: number | null;
  bestEpoch: number;
  history: EpochReport[];
  /** Training seconds spent on this candidate so far, over every run of the job. */
  elapsedSeconds: number;
  /** Set when training ended (the candidate's outcome is in the checkpoint; null: still training). */
  stopReason: 'early_stopping' | 'num_epochs' | 'max_training_seconds' | null;
  arrays: ProgressArray[];
}

const progressManifestRule = fields<ProgressManifest>(
  {
    format: oneOf(PROGRESS_FORMAT),
    status: oneOf('in-progress', 'superseded'),
    label: string,
    round: intIn(1, 1000),
    candidate: intIn(0, 100_000),
    fingerprint: sha256,
  },
  { epoch: count, stateSha256: sha256, arraysSha256: sha256 },
);

const MAX_PROGRESS_ARRAYS = 1000;
const arrayName = (v: unknown) => (typeof v === 'string' && /^[a-z0-9_/]{1,100}$/.test(v) ? undefined : { path: [], expected: 'an array name', got: v });
const progressStateRule = fields<ProgressState>(
  {
    epoch: count,
    steps: count,
    rngState: intIn(0, 0xffffffff),
    sinceBest: count,
    bestLoss: storedNumber,
    bestEpoch: count,
    history: arrayOf(
      fields<EpochReport>({ epoch: count, trainLoss: storedNumber, valLoss: storedNumber }, { valAccuracy: storedNumber, valRmse: storedNumber }),
    ),
    elapsedSeconds: numberIn(0, 1e9),
    stopReason: (v) => (v === null ? undefined : oneOf('early_stopping', 'num_epochs', 'max_training_seconds')(v)),
    arrays: arrayOfAtMost(fields<ProgressArray>({ name: arrayName, dtype: oneOf('float32', 'int32'), offset: count, length: count }, {}), MAX_PROGRESS_ARRAYS),
  },
  {},
);

/** A parsed `manifest.json` of an epoch checkpoint, checked (ModelFormatError naming the file otherwise). */
export function validateProgressManifest(value: unknown, file: string): ProgressManifest {
  const m = check<ProgressManifest>(progressManifestRule, value, file);
  if (m.status === 'in-progress' && (m.epoch === undefined || !m.stateSha256 || !m.arraysSha256))
    throw new ModelFormatError(file, 'an in-progress manifest lacks "epoch", "stateSha256" or "arraysSha256"');
  return m;
}

/** A parsed `state.json`, checked. */
export function validateProgressState(value: unknown, file: string): ProgressState {
  return check<ProgressState>(progressStateRule, value, file);
}

/** The arrays concatenated (each at a multiple of 4 bytes) and where each one is. */
export function encodeProgressArrays(arrays: ReadonlyMap<string, Float32Array | Int32Array>): { layout: ProgressArray[]; bytes: Uint8Array } {
  const layout: ProgressArray[] = [];
  let offset = 0;
  for (const [name, a] of arrays) {
    layout.push({ name, dtype: a instanceof Int32Array ? 'int32' : 'float32', offset, length: a.length });
    offset += a.byteLength;
  }
  const bytes = new Uint8Array(offset);
  for (const [i, a] of [...arrays.values()].entries()) bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), layout[i]!.offset);
  return { layout, bytes };
}

/** The arrays of `arrays.bin` by name (copies); a ModelFormatError when the layout does not fit the bytes. */
export function decodeProgressArrays(layout: readonly ProgressArray[], bytes: Uint8Array, file: string): Map<string, Float32Array | Int32Array> {
  const out = new Map<string, Float32Array | Int32Array>();
  for (const a of layout) {
    const end = a.offset + a.length * 4;
    if (a.offset % 4 !== 0 || end > bytes.byteLength) throw new ModelFormatError(file, `array "${a.name}" lies outside the file's ${bytes.byteLength} bytes`);
    if (out.has(a.name)) throw new ModelFormatError(file, `array "${a.name}" is listed twice`);
    // a copy at offset 0 of its own buffer (a Buffer's slice() would be a view into a shared pool)
    const copy = new Uint8Array(end - a.offset);
    copy.set(bytes.subarray(a.offset, end));
    out.set(a.name, a.dtype === 'int32' ? new Int32Array(copy.buffer) : new Float32Array(copy.buffer));
  }
  return out;
}
