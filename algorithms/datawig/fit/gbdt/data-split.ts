/**
 * The held-out rows for early stopping: explicit ones, or a seeded random fraction (stratified by
 * class for class targets, as scikit-learn does), the rest for training. Both lists ascend.
 */
import { rng } from '../../core/rng.js';

export interface RowSplit {
  train: Uint32Array;
  validation: Uint32Array;
}

function shuffled(rows: number[], next: () => number): number[] {
  for (let i = rows.length - 1; i > 0; i--) {
    const j = Math.floor(next() * (i + 1));
    const t = rows[i]!;
    rows[i] = rows[j]!;
    rows[j] = t;
  }
  return rows;
}

function complement(n: number, held: Uint8Array): RowSplit {
  const train: number[] = [];
  const validation: number[] = [];
  for (let i = 0; i < n; i++) (held[i] ? validation : train).push(i);
  if (!train.length) throw new Error('gbdt: no training rows are left after holding out the validation rows');
  return { train: Uint32Array.from(train), validation: Uint32Array.from(validation) };
}

export function explicitSplit(n: number, rows: ArrayLike<number>): RowSplit {
  const held = new Uint8Array(n);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    if (!(Number.isSafeInteger(r) && r >= 0 && r < n)) throw new Error(`gbdt option validationRows[${i}] must be a row index from 0 to ${n - 1}`);
    held[r] = 1;
  }
  return complement(n, held);
}

/** Holds out `fraction` of the rows (of each class when `classes` is given), seeded. */
export function randomSplit(n: number, fraction: number, seed: number, classes: Int32Array | null): RowSplit {
  const next = rng(seed ^ 0x5bd1e995);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < n; i++) {
    const key = classes ? classes[i]! : 0;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(i);
  }
  const held = new Uint8Array(n);
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const rows = shuffled(groups.get(key)!, next);
    const take = Math.round(fraction * rows.length);
    for (let j = 0; j < take; j++) held[rows[j]!] = 1;
  }
  return complement(n, held);
}
