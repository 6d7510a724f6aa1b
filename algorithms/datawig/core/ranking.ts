/** Picking the best few of many scores: explanations' n-grams, JSON answers' top-k classes. */
import { stripMarkers } from './hashing.js';

/** The n n-grams that most support a class (summed over repeats), without the char n-gram marker. */
export function topTokens(contributions: [string, number][], n: number): string[] {
  // Sum repeats (one n-gram can come from several text columns).
  const totals = new Map<string, number>();
  for (let i = 0; i < contributions.length; i++) {
    const [t, s] = contributions[i]!;
    totals.set(t, (totals.get(t) ?? 0) + s);
  }
  const names = [...totals.keys()];
  return stripMarkers(bestIndices([...totals.values()], names.length, n, true).map((i) => names[i]!));
}

/**
 * Indices of the n largest of values[0..length) (only positive ones with `positiveOnly`), best
 * first, ties in index order (what a stable sort gives): inserted into a short list, n being a
 * handful, instead of sorting them all.
 */
export function bestIndices(values: ArrayLike<number>, length: number, n: number, positiveOnly: boolean): number[] {
  const best: number[] = [];
  for (let i = 0; i < length; i++) {
    const v = values[i]!;
    if ((positiveOnly && !(v > 0)) || (best.length === n && !(v > values[best[n - 1]!]!))) continue;
    let at = best.length;
    while (at > 0 && values[best[at - 1]!]! < v) at--;
    best.splice(at, 0, i);
    if (best.length > n) best.pop();
  }
  return best;
}
