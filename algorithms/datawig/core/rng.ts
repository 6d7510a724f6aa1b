/** Seeded PRNG (mulberry32): splits, weight init, shuffling and search are reproducible from a seed. */
export function rng(seed: number): () => number {
  const r = SeededRng.fromSeed(seed);
  return () => r.next();
}

/**
 * The same generator with its state readable and settable: a training checkpoint stores the state,
 * and a generator restored from it continues the very same sequence.
 */
export class SeededRng {
  private constructor(private a: number) {}

  static fromSeed(seed: number): SeededRng {
    return new SeededRng(seed >>> 0 || 0x9e3779b9);
  }

  /** A generator at a state read from `state` (a uint32). */
  static fromState(state: number): SeededRng {
    if (!Number.isSafeInteger(state) || state < 0 || state > 0xffffffff) throw new RangeError(`an RNG state is a uint32, got ${state}`);
    return new SeededRng(state);
  }

  get state(): number {
    return this.a;
  }

  /** The next number in [0, 1). */
  next(): number {
    this.a = (this.a + 0x6d2b79f5) >>> 0;
    let t = this.a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}
