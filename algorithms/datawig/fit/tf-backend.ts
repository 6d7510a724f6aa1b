/**
 * Loads TensorFlow.js lazily (keeps the framework's cold start free of it) and picks the fastest
 * backend that works here: tfjs-node (native), then wasm, then the pure-JS cpu backend.
 * `BYOC_TFJS_BACKEND=node|wasm|cpu` forces one.
 */
import type { Logger } from '../../../framework/contract/index.js';

export type Tf = typeof import('@tensorflow/tfjs');
/** TensorFlow.js on first call: only the network family needs it, and loading it takes a few tenths of a second. */
export type TfLoader = () => Promise<Tf>;

export function tfLoader(logger?: Logger): TfLoader {
  return () => loadTf(logger).then((r) => r.tf);
}

let loading: Promise<{ tf: Tf; backend: string }> | undefined;

export function loadTf(logger?: Logger): Promise<{ tf: Tf; backend: string }> {
  loading ??= init(logger);
  return loading;
}

async function init(logger?: Logger): Promise<{ tf: Tf; backend: string }> {
  const forced = (process.env.BYOC_TFJS_BACKEND ?? '').trim().toLowerCase();
  if (forced && !['node', 'wasm', 'cpu'].includes(forced)) {
    throw new Error(`BYOC_TFJS_BACKEND must be node, wasm or cpu (got "${forced}")`);
  }
  const order = forced ? [forced] : ['node', 'wasm', 'cpu'];
  const tf = await import('@tensorflow/tfjs');
  const failures: string[] = [];
  for (const name of order) {
    try {
      if (name === 'node') {
        // Optional dependency: absent when libtensorflow could not be downloaded at install time.
        const mod = '@tensorflow/tfjs-node';
        await import(mod);
        if (!(await tf.setBackend('tensorflow'))) throw new Error('setBackend(tensorflow) failed');
      } else if (name === 'wasm') {
        await import('@tensorflow/tfjs-backend-wasm');
        if (!(await tf.setBackend('wasm'))) throw new Error('setBackend(wasm) failed');
      } else {
        if (!(await tf.setBackend('cpu'))) throw new Error('setBackend(cpu) failed');
      }
      await tf.ready();
      const backend = tf.getBackend();
      if (backend !== 'tensorflow') registerSegmentSum(tf, backend);
      logger?.info('datawig: TensorFlow.js backend ready', { backend, tried: failures });
      return { tf, backend };
    } catch (err) {
      failures.push(`${name}: ${(err as Error).message.split('\n')[0]}`);
      if (forced) throw new Error(`TensorFlow.js backend "${forced}" (BYOC_TFJS_BACKEND) failed to load: ${failures.join('; ')}`);
    }
  }
  throw new Error(`no TensorFlow.js backend could be loaded: ${failures.join('; ')}`);
}

/** Switches the process to another loaded backend (tests compare backends on one saved model). */
export async function switchBackend(tf: Tf, name: 'wasm' | 'cpu'): Promise<void> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(name))) throw new Error(`backend ${name} is not available`);
  await tf.ready();
  registerSegmentSum(tf, name);
}

type TensorInfo = import('@tensorflow/tfjs').TensorInfo;
interface AnyBackend {
  readSync(id: unknown): ArrayLike<number>;
  typedArrayFromHeap?(t: TensorInfo): Float32Array | Int32Array;
  makeOutput?(shape: number[], dtype: string, off?: number, values?: unknown): TensorInfo;
  makeTensorInfo?(shape: number[], dtype: string, values?: unknown): TensorInfo;
}

/** A view of a tensor's data without copying where the backend allows it (wasm heap). */
function view<T extends Float32Array | Int32Array>(b: AnyBackend, t: TensorInfo): T {
  return (b.typedArrayFromHeap ? b.typedArrayFromHeap(t) : b.readSync(t.dataId)) as T;
}

/** A new float32 output filled by `fill` (written in place on the wasm heap). */
function output(b: AnyBackend, shape: number[], fill: (out: Float32Array) => void): TensorInfo {
  if (b.makeOutput && b.typedArrayFromHeap) {
    const info = b.makeOutput(shape, 'float32');
    const out = b.typedArrayFromHeap(info) as Float32Array;
    out.fill(0);
    fill(out);
    return info;
  }
  const out = new Float32Array(shape.reduce((a, c) => a * c, 1));
  fill(out);
  return b.makeTensorInfo!(shape, 'float32', out);
}

export const BAG = 'DatawigEmbeddingBag';
const BAG_GRAD = 'DatawigEmbeddingBagGrad';

/**
 * Embedding bag (sum over each row's sparse entries of value x table row) and its gradient as
 * own kernels. Built from gather + unsortedSegmentSum it is slow here: wasm has no
 * UnsortedSegmentSum, its GatherV2 and the segment-sum gradient (LogicalAnd/Select) took
 * hundreds of ms per batch. These are plain loops, work ~ entries x width.
 */
function registerSegmentSum(tf: Tf, backendName: string): void {
  const reg = (kernelName: string, kernelFunc: import('@tensorflow/tfjs').KernelFunc) => {
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({ kernelName, backendName, kernelFunc });
  };
  reg(
    BAG,
    sparseRowsKernel('table', 'rows', (out, table, idx, val, seg, D) => bagRows(out, table, seg, idx, val, D)),
  );
  reg(
    BAG_GRAD,
    sparseRowsKernel('dy', 'tableRows', (out, dy, idx, val, seg, D) => scatterRows(out, dy, idx, seg, val, D)),
  );
  registerBagGradient(tf);
}

type SparseRowsFill = (out: Float32Array, dense: Float32Array, idx: Int32Array, val: Float32Array, seg: Int32Array, D: number) => void;

/**
 * One of the two kernels: inputs a dense [?, D] float32 tensor (named `dense`) and the sparse
 * entries of a batch (entry k: value val[k], table row idx[k], batch row seg[k]); output a new
 * [attrs[rowsAttr], D] float32 tensor that `fill` writes.
 */
function sparseRowsKernel(dense: string, rowsAttr: string, fill: SparseRowsFill): import('@tensorflow/tfjs').KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as unknown as AnyBackend;
    const { [dense]: x, idx, val, seg } = inputs as Record<string, TensorInfo>;
    const rows = (attrs as unknown as Record<string, number>)[rowsAttr]!;
    const D = x!.shape[1]!;
    const X = view<Float32Array>(b, x!);
    const I = view<Int32Array>(b, idx!);
    const V = view<Float32Array>(b, val!);
    const S = view<Int32Array>(b, seg!);
    return output(b, [rows, D], (out) => fill(out, X, I, V, S, D));
  };
}

/** out[to[k]] += v[k] * src[from[k]] for rows of width D (monomorphic on purpose: the hot loop). */
export function scatterRows(out: Float32Array, src: Float32Array, to: Int32Array, from: Int32Array, v: Float32Array, D: number): void {
  const n = to.length;
  const D4 = D - (D % 4);
  for (let k = 0; k < n; k++) {
    let o = to[k]! * D;
    let f = from[k]! * D;
    const w = v[k]!;
    const e4 = o + D4;
    // unrolled by 4: about twice as fast in V8 as the plain loop
    while (o < e4) {
      out[o] += w * src[f]!;
      out[o + 1] += w * src[f + 1]!;
      out[o + 2] += w * src[f + 2]!;
      out[o + 3] += w * src[f + 3]!;
      o += 4;
      f += 4;
    }
    const e = to[k]! * D + D;
    while (o < e) out[o++] += w * src[f++]!;
  }
}

/**
 * The forward bag: out[seg[k]] += v[k] * table[idx[k]], with seg non-decreasing (entries come row
 * by row), so four entries of one row are summed per pass over the output row.
 */
export function bagRows(out: Float32Array, table: Float32Array, seg: Int32Array, idx: Int32Array, v: Float32Array, D: number): void {
  const n = seg.length;
  let k = 0;
  while (k < n) {
    const row = seg[k]!;
    const o = row * D;
    for (; k + 3 < n && seg[k + 3] === row && seg[k + 1] === row && seg[k + 2] === row; k += 4) {
      const a = idx[k]! * D;
      const b = idx[k + 1]! * D;
      const c = idx[k + 2]! * D;
      const d = idx[k + 3]! * D;
      const va = v[k]!;
      const vb = v[k + 1]!;
      const vc = v[k + 2]!;
      const vd = v[k + 3]!;
      for (let j = 0; j < D; j++) out[o + j] += va * table[a + j]! + vb * table[b + j]! + vc * table[c + j]! + vd * table[d + j]!;
    }
    for (; k < n && seg[k] === row; k++) {
      const a = idx[k]! * D;
      const va = v[k]!;
      for (let j = 0; j < D; j++) out[o + j] += va * table[a + j]!;
    }
  }
}

let gradientRegistered = false;
function registerBagGradient(tf: Tf): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: BAG,
    inputsToSave: ['table', 'idx', 'val', 'seg'],
    gradFunc: (dy, saved) => {
      const [table, idx, val, seg] = saved as import('@tensorflow/tfjs').Tensor[];
      return {
        table: () =>
          tf
            .engine()
            .runKernel(
              BAG_GRAD,
              { dy: dy as import('@tensorflow/tfjs').Tensor, idx: idx!, val: val!, seg: seg! },
              { tableRows: table!.shape[0]! },
            ) as import('@tensorflow/tfjs').Tensor,
        idx: () => tf.zerosLike(idx!),
        val: () => tf.zerosLike(val!),
        seg: () => tf.zerosLike(seg!),
      };
    },
  });
}

/** sum_k val[k] * table[idx[k]] into row seg[k] of a [rows, D] result. */
export function embeddingBag(
  tf: Tf,
  table: import('@tensorflow/tfjs').Tensor,
  idx: import('@tensorflow/tfjs').Tensor,
  val: import('@tensorflow/tfjs').Tensor,
  seg: import('@tensorflow/tfjs').Tensor,
  rows: number,
): import('@tensorflow/tfjs').Tensor2D {
  if (tf.getBackend() === 'tensorflow') {
    // native backend: the stock ops are fast
    return tf.unsortedSegmentSum(
      tf.mul(tf.gather(table, idx), tf.reshape(val, [-1, 1])),
      seg as import('@tensorflow/tfjs').Tensor1D,
      rows,
    ) as import('@tensorflow/tfjs').Tensor2D;
  }
  return tf.engine().runKernel(BAG, { table, idx, val, seg }, { rows }) as import('@tensorflow/tfjs').Tensor2D;
}
