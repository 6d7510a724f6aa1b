/**
 * Complete mode's choices between chained rounds: which families a column's next round fits, and
 * whether another round is worth its time. Both are read off the validation losses of the round
 * just fitted, so they are deterministic and need no extra training.
 */
import type { ModelFamily } from '../format/target-artifact.js';
import type { Fitted } from './fit-target.js';

/** A family is refitted next round if its loss was within this factor of the round's best single family. */
export const COMPETITIVE_LOSS_RATIO = 1.5;
/** Another round is fitted only while a round lowers the columns' mean validation loss by at least this share (a round that raises it is dropped). */
export const MIN_ROUND_IMPROVEMENT = 0.01;

/**
 * The families worth fitting for this target in the next round: its members and every family whose
 * validation loss was within COMPETITIVE_LOSS_RATIO of the best one. Undefined: no losses to go by
 * (all families stay).
 */
export function competitiveFamilies(fitted: Fitted): ModelFamily[] | undefined {
  const judged = (fitted.artifact.candidates ?? []).filter(
    (c): c is { family: ModelFamily; loss: number } => c.family !== 'ensemble' && c.loss !== null && Number.isFinite(c.loss),
  );
  if (judged.length === 0) return undefined;
  const best = Math.min(...judged.map((c) => c.loss));
  const kept = new Set<ModelFamily>(judged.filter((c) => c.loss <= best * COMPETITIVE_LOSS_RATIO).map((c) => c.family));
  for (const m of fitted.artifact.members ?? []) kept.add(m.family);
  return [...kept];
}

/**
 * How a round's validation losses compare with the round before: the geometric mean over columns
 * of (loss now / loss before), so that one column doubling its loss and another halving it cancel
 * out. Columns without a positive, finite loss in both rounds are left out; none left: 0 (nothing
 * says the round did not help).
 */
export function meanLossRatio(before: readonly Fitted[], now: readonly Fitted[]): number {
  let logs = 0;
  let n = 0;
  now.forEach((f, i) => {
    const prev = before[i]?.valLoss;
    if (prev === undefined || !(prev > 0) || !Number.isFinite(prev) || !(f.valLoss > 0) || !Number.isFinite(f.valLoss)) return;
    logs += Math.log(f.valLoss / prev);
    n++;
  });
  return n ? Math.exp(logs / n) : 0;
}
