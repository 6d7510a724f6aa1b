/**
 * The choice among a target's trained families on its validation rows: each family's calibrated
 * validation loss (log-loss at its fitted temperature for classes, mean squared error of the
 * standardised value for numbers), the convex ensemble of them fitted on the same rows, and the
 * lowest loss wins. The ensemble must beat the best single family by ENSEMBLE_MARGIN, since its
 * weights were fitted on the rows that judge it.
 */
import { fitTemperature, meanLogLoss, meanSquaredError, temperedSoftmax } from '../core/calibration.js';
import type { FamilyCandidate, FamilyChoice, FamilyMember, Task } from '../format/target-artifact.js';
import { fitEnsembleWeights, type MemberPredictions } from './ensemble-weights.js';
import type { FamilyFit } from './family-fits.js';

/** Relative loss reduction the ensemble needs over the best single family (auto). */
export const ENSEMBLE_MARGIN = 0.005;
/** Members below this weight are dropped from an ensemble (and the rest renormalised). */
const MIN_MEMBER_WEIGHT = 0.01;

export interface Selection {
  members: FamilyMember[];
  /** The selected prediction's validation scores: class logits (log of the mixed probabilities for an ensemble) or standardised values. */
  scores: Float64Array;
  loss: number;
  candidates: FamilyCandidate[];
}

/** One family's calibrated validation loss and its temperature (1 for numbers). */
function judge(task: Task, K: number, scores: Float64Array, y: Float32Array): { loss: number; temperature: number } {
  if (task === 'regression') return { loss: meanSquaredError(scores, y), temperature: 1 };
  const temperature = fitTemperature(Float32Array.from(scores), y, K);
  return { loss: meanLogLoss(temperedSoftmax(scores, K, temperature), y, K) ?? Infinity, temperature };
}

/**
 * Selects among the fits (in the order given; ties go to the earlier one). `choice` 'ensemble'
 * takes the ensemble whatever its loss, 'auto' only when it beats the best family by the margin;
 * a pinned family arrives here alone.
 */
export function selectFamily(task: Task, K: number, fits: readonly FamilyFit[], y: Float32Array, choice: FamilyChoice): Selection {
  const judged = fits.map((f) => ({ fit: f, ...judge(task, K, f.scores, y) }));
  const candidates: FamilyCandidate[] = judged.map((j) => ({ family: j.fit.family, loss: finiteOrNull(j.loss) }));
  let best = judged[0]!;
  for (const j of judged) if (j.loss < best.loss) best = j;
  const single: Selection = { members: [{ family: best.fit.family, weight: 1, temperature: 1 }], scores: best.fit.scores, loss: best.loss, candidates };
  const mixable = judged.filter((j) => j.fit.family !== 'constant' || choice === 'auto');
  if (mixable.length < 2 || (choice !== 'auto' && choice !== 'ensemble')) return single;
  const predictions: MemberPredictions[] = mixable.map((j) => ({
    values: task === 'regression' ? j.fit.scores : temperedSoftmax(j.fit.scores, K, j.temperature),
  }));
  const fit = fitEnsembleWeights(predictions, y, task === 'regression' ? 0 : K);
  const kept = fit.weights.map((w, i) => ({ w, i })).filter((m) => m.w >= MIN_MEMBER_WEIGHT);
  const sum = kept.reduce((s, m) => s + m.w, 0);
  const mixed = new Float64Array(best.fit.scores.length);
  for (const { w, i } of kept) {
    const v = predictions[i]!.values;
    for (let r = 0; r < mixed.length; r++) mixed[r]! += (w / sum) * v[r]!;
  }
  if (task === 'classification') for (let r = 0; r < mixed.length; r++) mixed[r] = Math.log(Math.max(mixed[r]!, 1e-300));
  const loss = judge(task, K, mixed, y).loss;
  candidates.push({ family: 'ensemble', loss: finiteOrNull(loss) });
  if (kept.length < 2 || (choice === 'auto' && !(loss < best.loss * (1 - ENSEMBLE_MARGIN)))) return single;
  return {
    members: kept.map(({ w, i }) => ({ family: mixable[i]!.fit.family, weight: w / sum, temperature: mixable[i]!.temperature })),
    scores: mixed,
    loss,
    candidates,
  };
}

/** JSON has no infinity: a loss that is not finite is stored as null. */
function finiteOrNull(v: number): number | null {
  return Number.isFinite(v) ? v : null;
}
