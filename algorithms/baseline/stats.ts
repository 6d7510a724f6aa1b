/** Column statistics of the baseline imputer: type detection, mode, mean, median. */
import { parseNumberText } from '../../framework/contract/index.js';

export interface NumericFill {
  kind: 'numeric';
  value: number;
  mean: number;
  median: number;
  count: number;
}

export interface CategoricalFill {
  kind: 'categorical';
  value: string;
  /** Share of known cells that hold `value`: the probability that the guess is right. */
  probability: number;
  count: number;
}

export type ColumnFill = NumericFill | CategoricalFill;

/** The cell's number, or undefined when it is not one (the framework's rule: plain decimal notation). */
export function parseNumber(text: string): number | undefined {
  const value = parseNumberText(text);
  return Number.isNaN(value) ? undefined : value;
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/** A column whose every known cell parses as a finite number is numeric; anything else is categorical. */
export function fitColumn(known: string[], numericStrategy: 'mean' | 'median'): ColumnFill {
  const numbers = known.map(parseNumber);
  if (numbers.every((n) => n !== undefined)) {
    const values = numbers as number[];
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const med = median(values);
    return { kind: 'numeric', value: numericStrategy === 'mean' ? mean : med, mean, median: med, count: values.length };
  }
  const counts = new Map<string, number>();
  for (const cell of known) counts.set(cell, (counts.get(cell) ?? 0) + 1);
  let best = '';
  let bestCount = -1;
  // Ties go to the value seen first, so results do not depend on Map internals.
  for (const [value, count] of counts) {
    if (count > bestCount) {
      best = value;
      bestCount = count;
    }
  }
  return { kind: 'categorical', value: best, probability: bestCount / known.length, count: known.length };
}
