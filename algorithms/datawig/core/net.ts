/**
 * The network as plain typed-array code: its initial weights and its forward pass (the weight
 * layout is format/net-spec.ts). Training runs in TensorFlow.js (fit/train-net.ts); serving runs
 * this: sparse inputs make a single row a few thousand multiply-adds, far below the fixed cost of
 * dispatching tfjs ops. Tests check both agree.
 */
import { shapeSize, weightShapes, type NetSpec } from '../format/net-spec.js';
import { rng } from './rng.js';

/** Glorot-uniform weights, zero biases; the embedding scaled for a sum over a few unit-norm columns. */
export function initWeights(s: NetSpec, seed: number, sparseColumns: number): Map<string, Float32Array> {
  const r = rng(seed);
  const m = new Map<string, Float32Array>();
  for (const w of weightShapes(s)) {
    const size = shapeSize(w.shape);
    const a = new Float32Array(size);
    if (w.shape.length === 2) {
      const limit = w.name === 'emb' ? 0.1 * Math.sqrt(3 / Math.max(1, sparseColumns)) : Math.sqrt(6 / (w.shape[0]! + w.shape[1]!));
      for (let i = 0; i < size; i++) a[i] = (r() * 2 - 1) * limit;
    }
    m.set(w.name, a);
  }
  return m;
}

interface Dense {
  w: Float32Array;
  b: Float32Array;
  inDim: number;
  outDim: number;
}

export class Net {
  private readonly emb: Float32Array;
  private readonly embB: Float32Array;
  private readonly num: Dense[];
  private readonly fc: Dense[];
  private readonly out: Dense;
  readonly concatDim: number;
  // scratch buffers reused across rows (serving is single-threaded per process); `acts` holds the
  // activations of the last forward, which relativeEmbeddingGradient reads
  private readonly acts: Float32Array[];
  private readonly acc: Float64Array;
  private readonly gradOut: Float64Array;
  private readonly gradFc: Float64Array[];
  private readonly gradEmb: Float64Array;

  constructor(
    readonly spec: NetSpec,
    weights: ReadonlyMap<string, Float32Array | Int32Array>,
  ) {
    const get = (n: string) => {
      const w = weights.get(n);
      if (!(w instanceof Float32Array)) throw new Error(`model weights lack the float32 tensor "${n}"`);
      return w;
    };
    this.emb = get('emb');
    this.embB = get('emb_b');
    const dense = (p: string, i: number, o: number): Dense => ({ w: get(`${p}_w`), b: get(`${p}_b`), inDim: i, outDim: o });
    this.num = [];
    let numOut = 0;
    if (spec.numDim > 0) {
      let d = spec.numDim;
      spec.numHidden.forEach((h, i) => {
        this.num.push(dense(`num${i}`, d, h));
        d = h;
      });
      numOut = d;
    }
    this.concatDim = spec.embDim + numOut;
    this.fc = [];
    let d = this.concatDim;
    spec.fcHidden.forEach((h, i) => {
      this.fc.push(dense(`fc${i}`, d, h));
      d = h;
    });
    this.out = dense('out', d, spec.outDim);
    this.acc = new Float64Array(spec.embDim);
    this.acts = [new Float32Array(this.concatDim), ...this.fc.map((l) => new Float32Array(l.outDim)), ...this.num.map((l) => new Float32Array(l.outDim))];
    this.gradOut = new Float64Array(this.out.inDim);
    this.gradFc = this.fc.map((l) => new Float64Array(l.inDim));
    this.gradEmb = new Float64Array(spec.embDim);
  }

  /**
   * Logits of one row (sparse entries idx/val[start..end), dense numeric part at num[numOff..]).
   */
  forward(idx: Int32Array, val: Float32Array, start: number, end: number, num: Float32Array, numOff: number, logits: Float32Array | Float64Array): void {
    const { spec } = this;
    const D = spec.embDim;
    const h0 = this.acts[0]!;
    const acc = this.acc;
    bag(acc, this.emb, this.embB, idx, val, start, end, D);
    for (let j = 0; j < D; j++) h0[j] = acc[j]! > 0 ? acc[j]! : 0;
    if (spec.numDim > 0) {
      if (this.num.length === 0) {
        for (let j = 0; j < spec.numDim; j++) h0[D + j] = num[numOff + j]!;
      } else {
        let input: ArrayLike<number> = num;
        let inOff = numOff;
        this.num.forEach((l, li) => {
          const a = li === this.num.length - 1 ? null : this.acts[1 + this.fc.length + li]!;
          const target = a ?? h0;
          const tOff = a ? 0 : D;
          denseRelu(l, input, inOff, target, tOff, true);
          input = target;
          inOff = tOff;
        });
      }
    }
    let x: Float32Array = h0;
    this.fc.forEach((l, li) => {
      const y = this.acts[1 + li]!;
      denseRelu(l, x, 0, y, 0, true);
      x = y;
    });
    denseRelu(this.out, x, 0, logits, 0, false);
  }

  /**
   * d(logit[k] - mean over classes of logit[c]) / d(pre-activation of the embedding sum), through
   * the ReLU masks of the last forward: class k's score relative to the mean class, in one backward
   * pass since it is linear in the output weights. Dotted with an embedding row times its input
   * weight it gives that token's contribution (gradient x input). The buffer is reused by the next call.
   */
  relativeEmbeddingGradient(k: number): Float64Array {
    const { w, inDim, outDim } = this.out;
    let g = this.gradOut;
    for (let i = 0; i < inDim; i++) {
      let mean = 0;
      if (outDim > 1) for (let c = 0; c < outDim; c++) mean += w[i * outDim + c]! / outDim;
      g[i] = w[i * outDim + k]! - mean;
    }
    for (let li = this.fc.length - 1; li >= 0; li--) {
      const l = this.fc[li]!;
      const act = this.acts[1 + li]!;
      const prev = this.gradFc[li]!;
      for (let i = 0; i < l.inDim; i++) {
        let s = 0;
        for (let j = 0; j < l.outDim; j++) if (act[j]! > 0) s += l.w[i * l.outDim + j]! * g[j]!;
        prev[i] = s;
      }
      g = prev;
    }
    const h0 = this.acts[0]!;
    const out = this.gradEmb;
    for (let j = 0; j < out.length; j++) out[j] = h0[j]! > 0 ? g[j]! : 0;
    return out;
  }

  tokenScore(row: number, value: number, grad: Float64Array): number {
    const D = this.spec.embDim;
    const o = row * D;
    let s = 0;
    for (let j = 0; j < D; j++) s += this.emb[o + j]! * grad[j]!;
    return s * value;
  }
}

/**
 * acc = bias + sum_k val[k] * emb[idx[k]]. Typed arrays only (keeps this hot loop monomorphic);
 * four entries per pass over acc: ~2x faster in V8 than one (fewer loads/stores of acc).
 */
function bag(acc: Float64Array, emb: Float32Array, bias: Float32Array, idx: Int32Array, val: Float32Array, start: number, end: number, D: number): void {
  for (let j = 0; j < D; j++) acc[j] = bias[j]!;
  let k = start;
  for (; k + 3 < end; k += 4) {
    const a = idx[k]! * D;
    const b = idx[k + 1]! * D;
    const c = idx[k + 2]! * D;
    const d = idx[k + 3]! * D;
    const va = val[k]!;
    const vb = val[k + 1]!;
    const vc = val[k + 2]!;
    const vd = val[k + 3]!;
    for (let j = 0; j < D; j++) acc[j] += va * emb[a + j]! + vb * emb[b + j]! + vc * emb[c + j]! + vd * emb[d + j]!;
  }
  for (; k < end; k++) {
    const o = idx[k]! * D;
    const v = val[k]!;
    for (let j = 0; j < D; j++) acc[j] += v * emb[o + j]!;
  }
}

function denseRelu(l: Dense, x: ArrayLike<number>, xOff: number, y: Float32Array | Float64Array, yOff: number, relu: boolean): void {
  const { w, b, inDim, outDim } = l;
  for (let j = 0; j < outDim; j++) y[yOff + j] = b[j]!;
  for (let i = 0; i < inDim; i++) {
    const xi = x[xOff + i]!;
    if (xi === 0) continue;
    const o = i * outDim;
    for (let j = 0; j < outDim; j++) y[yOff + j] += xi * w[o + j]!;
  }
  if (relu) for (let j = 0; j < outDim; j++) if (y[yOff + j]! < 0) y[yOff + j] = 0;
}
