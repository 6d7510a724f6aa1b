/**
 * `checkpoint.json`: the record that makes a target model saved in the checkpoint store
 * (`datawig/targets/<label-hash>/round-<n>/`) valid. It is written last, after `target.json` and
 * `weights.bin`, and names the fingerprint of what the model was trained from and the sha256 of both
 * files, so that a half-overwritten checkpoint (new files, old record) is never taken for valid.
 */
import { arrayOf, check, fields, intIn, storedNumber, string, oneOf } from './json-rules.js';

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
