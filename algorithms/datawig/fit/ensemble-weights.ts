/**
 * Weights of an ensemble of candidate models, fitted on their validation predictions: the convex
 * combination (weights >= 0, summing to 1) that minimises the validation loss of the mixed
 * prediction — negative log-likelihood of the mixed class probabilities, or squared error of the
 * mixed values. Found by coordinate descent on the simplex (pairwise moves of weight with a
 * golden-section line search), which is deterministic and needs no learning rate.
 */
import { goldenSection } from '../core/calibration.js';

export interface MemberPredictions {
  /** Classes: n x K probabilities, row-major; numbers: n values. */
  values: Float64Array;
}

export interface EnsembleFit {
  weights: number[];
  /** Validation loss of the mixture (mean NLL or mean squared error). */
  loss: number;
}

const EPS = 1e-12;

/** Mean loss of the mixture with these weights. */
export function mixtureLoss(members: readonly MemberPredictions[], weights: readonly number[], y: ArrayLike<number>, classes: number): number {
  const n = y.length;
  let total = 0;
  for (let i = 0; i < n; i++) {
    if (classes > 0) {
      const k = y[i]!;
      if (k < 0) continue;
      let p = 0;
      for (let m = 0; m < members.length; m++) p += weights[m]! * members[m]!.values[i * classes + k]!;
      total -= Math.log(Math.max(p, EPS));
    } else {
      let v = 0;
      for (let m = 0; m < members.length; m++) v += weights[m]! * members[m]!.values[i]!;
      total += (v - y[i]!) ** 2;
    }
  }
  return total / Math.max(1, n);
}

/** The t in [0, 1] minimising f (golden-section search). */
function lineSearch(f: (t: number) => number, iterations = 30): number {
  const t = goldenSection(f, 0, 1, iterations);
  // The ends are candidates too: a member may deserve all or none of the pair's weight.
  return [0, t, 1].reduce((best, x) => (f(x) < f(best) ? x : best), t);
}

/**
 * Fits the weights. `y`: class index per row (-1: unknown, skipped) with `classes` > 0, else the
 * numeric targets with `classes` = 0. Starts from the best single member.
 */
export function fitEnsembleWeights(members: readonly MemberPredictions[], y: ArrayLike<number>, classes: number, rounds = 10): EnsembleFit {
  const m = members.length;
  if (m === 0) throw new Error('an ensemble needs at least one member');
  const single = members.map((_, i) =>
    mixtureLoss(
      members,
      members.map((__, j) => (j === i ? 1 : 0)),
      y,
      classes,
    ),
  );
  const best = single.indexOf(Math.min(...single));
  const weights: number[] = members.map((_, i) => (i === best ? 1 : 0));
  let loss = Math.min(...single);
  for (let round = 0; round < rounds; round++) {
    const before = loss;
    for (let a = 0; a < m; a++) {
      for (let b = a + 1; b < m; b++) {
        // Moving weight between two members keeps the sum at 1; a pair without weight has none to move.
        const pair = weights[a]! + weights[b]!;
        if (pair <= 0) continue;
        const trial = (t: number): number[] => {
          const w = [...weights];
          w[a] = t * pair;
          w[b] = (1 - t) * pair;
          return w;
        };
        const t = lineSearch((x) => mixtureLoss(members, trial(x), y, classes));
        const candidate = trial(t);
        const l = mixtureLoss(members, candidate, y, classes);
        if (l >= loss - 1e-12) continue;
        loss = l;
        weights.splice(0, m, ...candidate);
      }
    }
    if (before - loss < 1e-9) break;
  }
  const sum = weights.reduce((s, w) => s + w, 0);
  return { weights: weights.map((w) => w / sum), loss };
}
