/** Data generators and reference imputers for the datawig benchmark. */
import { rng } from '../../../algorithms/datawig/core/rng.js';

export function gaussian(r: () => number): number {
  const u = Math.max(1e-12, r());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * r());
}

/** n x d matrix of rank k plus small noise (the DataWig paper's synthetic low-rank data). */
export function lowRank(n: number, d: number, k: number, seed: number): number[][] {
  const r = rng(seed);
  const U = Array.from({ length: n }, () => Array.from({ length: k }, () => gaussian(r)));
  const V = Array.from({ length: k }, () => Array.from({ length: d }, () => gaussian(r)));
  return U.map((u) => V[0]!.map((_, j) => u.reduce((s, x, l) => s + x * V[l]![j]!, 0) + 0.1 * gaussian(r)));
}

/** Swiss roll (t cos t, h, t sin t). */
export function swissRoll(n: number, seed: number): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const t = 1.5 * Math.PI * (1 + 2 * r());
    const h = 21 * r();
    return [t * Math.cos(t), h, t * Math.sin(t)];
  });
}

export type Mechanism = 'MCAR' | 'MAR' | 'MNAR';

/**
 * Masks cells at the given rate: MCAR uniformly; MAR where the next column (kept observed for that
 * row) is large; MNAR where the value itself is large (as in the DataWig paper's protocol).
 */
export function mask(X: number[][], rate: number, mech: Mechanism, seed: number): boolean[][] {
  const r = rng(seed);
  const n = X.length;
  const d = X[0]!.length;
  const M = X.map(() => new Array<boolean>(d).fill(false));
  for (let j = 0; j < d; j++) {
    const driver = mech === 'MAR' ? (j + 1) % d : j;
    const col = X.map((row) => row[driver]!);
    const sorted = [...col].sort((a, b) => a - b);
    // cells in the top 2*rate of the driving column are masked with probability 1/2
    const cut = sorted[Math.floor(n * (1 - Math.min(1, 2 * rate)))]!;
    for (let i = 0; i < n; i++) {
      const hit = mech === 'MCAR' ? r() < rate : col[i]! >= cut && r() < 0.5;
      if (hit && (mech !== 'MAR' || !M[i]![driver])) M[i]![j] = true;
    }
  }
  // keep at least one observed cell per row
  for (const row of M) if (row.every(Boolean)) row[0] = false;
  return M;
}

export function meanImpute(X: number[][], M: boolean[][]): number[][] {
  const d = X[0]!.length;
  const means = Array.from({ length: d }, (_, j) => {
    let s = 0;
    let c = 0;
    X.forEach((row, i) => {
      if (!M[i]![j]) {
        s += row[j]!;
        c++;
      }
    });
    return c ? s / c : 0;
  });
  return X.map((row, i) => row.map((v, j) => (M[i]![j] ? means[j]! : v)));
}

/** k-NN imputation: standardised distance over the columns both rows observe, mean of the k nearest donors. */
export function knnImpute(X: number[][], M: boolean[][], k = 5): number[][] {
  const n = X.length;
  const d = X[0]!.length;
  const mu = new Array<number>(d).fill(0);
  const sd = new Array<number>(d).fill(0);
  for (let j = 0; j < d; j++) {
    const v = X.filter((_, i) => !M[i]![j]).map((row) => row[j]!);
    mu[j] = v.reduce((a, b) => a + b, 0) / Math.max(1, v.length);
    sd[j] = Math.sqrt(v.reduce((a, b) => a + (b - mu[j]!) ** 2, 0) / Math.max(1, v.length)) || 1;
  }
  const Z = X.map((row) => row.map((v, j) => (v - mu[j]!) / sd[j]!));
  return X.map((row, i) => {
    if (!M[i]!.some(Boolean)) return row;
    const out = [...row];
    for (let j = 0; j < d; j++) {
      if (!M[i]![j]) continue;
      const cands: [number, number][] = [];
      for (let o = 0; o < n; o++) {
        if (o === i || M[o]![j]) continue;
        let s = 0;
        let c = 0;
        for (let l = 0; l < d; l++) {
          if (M[i]![l] || M[o]![l]) continue;
          s += (Z[i]![l]! - Z[o]![l]!) ** 2;
          c++;
        }
        if (c) cands.push([s / c, X[o]![j]!]);
      }
      cands.sort((a, b) => a[0] - b[0]);
      const top = cands.slice(0, k);
      out[j] = top.length ? top.reduce((a, b) => a + b[1], 0) / top.length : mu[j]!;
    }
    return out;
  });
}

/** Long synthetic reviews: Zipf-like filler words plus class-dependent words at a low rate. */
export function textRows(n: number, classes: number, seed: number): { title: string; description: string; label: string }[] {
  const r = rng(seed);
  const vocab = Array.from({ length: 20000 }, (_, i) => `t${i.toString(36)}`);
  const signal = Array.from({ length: classes }, (_, c) => Array.from({ length: 30 }, (_, j) => `c${c}s${j}`));
  const zipf = () => vocab[Math.min(vocab.length - 1, Math.floor(Math.exp(r() * Math.log(vocab.length))) - 1)]!;
  const text = (c: number, len: number) => Array.from({ length: len }, () => (r() < 0.04 ? signal[c]![Math.floor(r() * 30)]! : zipf())).join(' ');
  return Array.from({ length: n }, () => {
    const c = Math.floor(r() * classes);
    return { title: text(c, 100), description: text(c, 100), label: `class_${c}` };
  });
}
