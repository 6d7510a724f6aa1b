/**
 * Training of the network in TensorFlow.js: Adam, mini-batches, early stopping on the validation
 * loss with patience, best epoch kept. Validation runs through the serving forward pass (core/net.ts)
 * so that what is selected is exactly what will be served.
 */
import type { Optimizer, Scalar, Tensor, Variable } from '@tensorflow/tfjs';
import { argmax, TrainingAbortedError } from '../../../framework/contract/index.js';
import { crossEntropy, fitTemperature, nll } from '../core/calibration.js';
import type { EncodedTable } from '../core/features.js';
import { initWeights, Net } from '../core/net.js';
import { rng } from '../core/rng.js';
import { weightShapes, type NetSpec } from '../format/net-spec.js';
import type { EpochReport, Task, TrainingSettings } from '../format/target-artifact.js';
import { embeddingBag, type Tf } from './tf-backend.js';

/**
 * Early stopping waits for at least this many optimizer steps: a small table has only a few
 * batches per epoch, and `patience` epochs would otherwise stop before the model has learnt anything.
 */
export const MIN_STEPS = 100;

export interface Split {
  enc: EncodedTable;
  /** Row indices into enc. */
  rows: Int32Array;
  /** Class index (classification; -1 = label unknown to the model) or standardised value. */
  y: Float32Array;
  /** Per-row loss weight (class weights). */
  w: Float32Array;
}

export interface TrainOptions extends TrainingSettings {
  task: Task;
  net: NetSpec;
  sparseColumns: number;
  /** Epoch-millisecond time after which training stops at the next batch. */
  deadline: number;
  signal: AbortSignal;
  onEpoch?: (e: EpochReport) => void;
}

export interface TrainOutcome {
  weights: Map<string, Float32Array>;
  bestEpoch: number;
  epochs: number;
  bestValLoss: number;
  stopReason: 'early_stopping' | 'num_epochs' | 'max_training_seconds';
  history: EpochReport[];
}

export async function trainNet(tf: Tf, o: TrainOptions, train: Split, val: Split): Promise<TrainOutcome> {
  const shapes = weightShapes(o.net);
  const init = initWeights(o.net, o.seed, o.sparseColumns);
  const vars = shapes.map((s) =>
    tf.tidy(() => tf.variable(tf.tensor(init.get(s.name)!, s.shape, 'float32'), true, `dw_${s.name}_${Math.random().toString(36).slice(2, 8)}`)),
  );
  const byName = new Map(shapes.map((s, i) => [s.name, vars[i]!]));
  const optimizer = tf.train.adam(o.learningRate);
  try {
    return await trainEpochs({ tf, o, shapes, byName, optimizer }, train, val);
  } finally {
    for (const v of vars) v.dispose();
    optimizer.dispose();
  }
}

/** The network being trained: its variables by weight name and the optimizer updating them. */
interface Training {
  tf: Tf;
  o: TrainOptions;
  shapes: { name: string }[];
  byName: Map<string, Variable>;
  optimizer: Optimizer;
}

/** The epochs, each followed by validation: keeps the best epoch's weights, stops early or at the deadline. */
async function trainEpochs(t: Training, train: Split, val: Split): Promise<TrainOutcome> {
  const { o } = t;
  const random = rng(o.seed ^ 0x5bd1e995);
  const history: EpochReport[] = [];
  let best: Map<string, Float32Array> | undefined;
  let bestLoss = Infinity;
  let bestEpoch = 0;
  let since = 0;
  let stopReason: TrainOutcome['stopReason'] = 'num_epochs';
  const order = Int32Array.from(train.rows);
  for (let epoch = 1; epoch <= o.epochs; epoch++) {
    shuffle(order, random);
    const trainLoss = await trainEpoch(t, train, order, history.length > 0);
    if (trainLoss === undefined) {
      stopReason = 'max_training_seconds';
      break;
    }
    const weights = readWeights(t.shapes, t.byName);
    const ev = evaluate(o.task, new Net(o.net, weights), val);
    const selectLoss = selectionLoss(o, ev, val);
    const rep: EpochReport = { epoch, trainLoss, valLoss: ev.loss, ...(o.task === 'classification' ? { valAccuracy: ev.accuracy } : { valRmse: ev.rmse }) };
    history.push(rep);
    o.onEpoch?.(rep);
    if (selectLoss < bestLoss - 1e-6 || !best) {
      bestLoss = selectLoss;
      best = weights;
      bestEpoch = epoch;
      since = 0;
    } else if (++since >= o.patience && epoch * Math.ceil(order.length / o.batchSize) >= MIN_STEPS) {
      stopReason = 'early_stopping';
      break;
    }
  }
  if (!best) {
    best = readWeights(t.shapes, t.byName);
    bestLoss = selectionLoss(o, evaluate(o.task, new Net(o.net, best), val), val);
  }
  return { weights: best, bestEpoch, epochs: history.length, bestValLoss: bestLoss, stopReason, history };
}

/** In-place Fisher-Yates shuffle. */
function shuffle(order: Int32Array, random: () => number): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}

/**
 * One pass over the shuffled rows in mini-batches. Returns the mean training loss (weighted by the
 * rows' loss weights), or undefined when the deadline passed (checked before each batch, though
 * never before the very first one of the training).
 */
/** How long training may run before it lets the event loop see signals and timers. */
const YIELD_EVERY_MS = 100;

async function trainEpoch(t: Training, train: Split, order: Int32Array, afterFirstEpoch: boolean): Promise<number | undefined> {
  const { o } = t;
  let lossSum = 0;
  let lossW = 0;
  let yielded = Date.now();
  for (let b0 = 0; b0 < order.length; b0 += o.batchSize) {
    // The loop's awaits settle as microtasks, so a SIGTERM handler (a macrotask) would run only
    // after the whole target: give the event loop a turn now and then so that the stop is seen.
    if (Date.now() - yielded > YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      yielded = Date.now();
    }
    if (o.signal.aborted) throw new TrainingAbortedError();
    if (Date.now() > o.deadline && (afterFirstEpoch || b0 > 0)) return undefined;
    const batch = gatherBatch(o, train, order.subarray(b0, Math.min(order.length, b0 + o.batchSize)));
    const lossT = t.optimizer.minimize(() => batchLoss(t, batch), true)!;
    const lv = (await lossT.data())[0]!;
    lossT.dispose();
    let ws = 0;
    for (const x of batch.w) ws += x;
    lossSum += lv * ws;
    lossW += ws;
  }
  return lossW ? lossSum / lossW : NaN;
}

/** One mini-batch: its sparse entries (CSR flattened, `seg` = row in the batch), numeric inputs, targets and weights. */
interface Batch {
  B: number;
  idx: Int32Array;
  val: Float32Array;
  seg: Int32Array;
  num: Float32Array;
  y: Int32Array | Float32Array;
  w: Float32Array;
}

function gatherBatch(o: TrainOptions, train: Split, rows: Int32Array): Batch {
  const { enc } = train;
  const numDim = o.net.numDim;
  const B = rows.length;
  let nnz = 0;
  for (const r of rows) nnz += enc.rowPtr[r + 1]! - enc.rowPtr[r]!;
  const idx = new Int32Array(nnz);
  const val = new Float32Array(nnz);
  const seg = new Int32Array(nnz);
  const num = new Float32Array(B * Math.max(numDim, 1));
  const y = o.task === 'classification' ? new Int32Array(B) : new Float32Array(B);
  const w = new Float32Array(B);
  let k = 0;
  rows.forEach((r, bi) => {
    for (let p = enc.rowPtr[r]!; p < enc.rowPtr[r + 1]!; p++, k++) {
      idx[k] = enc.idx[p]!;
      val[k] = enc.val[p]!;
      seg[k] = bi;
    }
    if (numDim) num.set(enc.num.subarray(r * numDim, (r + 1) * numDim), bi * numDim);
    const pos = rowPos(train, r);
    y[bi] = train.y[pos]!;
    w[bi] = train.w[pos]!;
  });
  return { B, idx, val, seg, num, y, w };
}

/** The batch's weighted mean loss (cross-entropy or squared error) plus the L2 penalty, in tfjs ops. */
function batchLoss(t: Training, b: Batch): Scalar {
  const { tf, o } = t;
  const logits = forwardTf(tf, t.byName, o.net, b.idx, b.val, b.seg, b.num, b.B);
  const wT = tf.tensor1d(b.w);
  let per: Tensor;
  if (o.task === 'classification') {
    const oh = tf.oneHot(tf.tensor1d(b.y as Int32Array, 'int32'), o.net.outDim);
    per = tf.neg(tf.sum(tf.mul(oh, tf.logSoftmax(logits)), 1));
  } else {
    per = tf.square(tf.sub(tf.reshape(logits, [b.B]), tf.tensor1d(b.y as Float32Array)));
  }
  let loss = tf.div(tf.sum(tf.mul(per, wT)), tf.sum(wT)) as Scalar;
  if (o.weightDecay > 0) {
    for (const [n, v] of t.byName) if (n.endsWith('_w')) loss = tf.add(loss, tf.mul(o.weightDecay, tf.sum(tf.square(v))));
  }
  return loss;
}

/**
 * The loss that selects the best epoch: for a classifier the loss after temperature scaling (the
 * raw loss keeps falling for many epochs as logits grow more confident, long after the ranking of
 * classes stopped improving, and calibration removes exactly that part afterwards).
 */
function selectionLoss(o: TrainOptions, ev: Evaluation, val: Split): number {
  return o.task === 'classification' ? nll(ev.logits, val.y, o.net.outDim, fitTemperature(ev.logits, val.y, o.net.outDim)) : ev.loss;
}

/** Row r's position in split arrays (rows are stored in order; a map keeps this O(1)). */
const posCache = new WeakMap<Split, Map<number, number>>();
function rowPos(s: Split, r: number): number {
  let m = posCache.get(s);
  if (!m) {
    m = new Map();
    s.rows.forEach((row, i) => m!.set(row, i));
    posCache.set(s, m);
  }
  return m.get(r)!;
}

function readWeights(shapes: { name: string }[], byName: Map<string, import('@tensorflow/tfjs').Variable>): Map<string, Float32Array> {
  const m = new Map<string, Float32Array>();
  for (const s of shapes) m.set(s.name, byName.get(s.name)!.dataSync() as Float32Array);
  return m;
}

/** The network in tfjs ops (same math as Net.forward). */
export function forwardTf(
  tf: Tf,
  v: Map<string, import('@tensorflow/tfjs').Tensor>,
  s: NetSpec,
  idx: Int32Array,
  val: Float32Array,
  seg: Int32Array,
  num: Float32Array,
  B: number,
): import('@tensorflow/tfjs').Tensor2D {
  const bag = embeddingBag(tf, v.get('emb')!, tf.tensor1d(idx, 'int32'), tf.tensor1d(val), tf.tensor1d(seg, 'int32'), B);
  let h = tf.relu(tf.add(bag, v.get('emb_b')!)) as import('@tensorflow/tfjs').Tensor2D;
  if (s.numDim > 0) {
    let x = tf.tensor2d(num.subarray(0, B * s.numDim), [B, s.numDim]);
    s.numHidden.forEach((_, i) => {
      x = tf.relu(tf.add(tf.matMul(x, v.get(`num${i}_w`)! as import('@tensorflow/tfjs').Tensor2D), v.get(`num${i}_b`)!)) as import('@tensorflow/tfjs').Tensor2D;
    });
    h = tf.concat([h, x], 1);
  }
  s.fcHidden.forEach((_, i) => {
    h = tf.relu(tf.add(tf.matMul(h, v.get(`fc${i}_w`)! as import('@tensorflow/tfjs').Tensor2D), v.get(`fc${i}_b`)!)) as import('@tensorflow/tfjs').Tensor2D;
  });
  return tf.add(tf.matMul(h, v.get('out_w')! as import('@tensorflow/tfjs').Tensor2D), v.get('out_b')!) as import('@tensorflow/tfjs').Tensor2D;
}

export interface Evaluation {
  loss: number;
  accuracy: number;
  rmse: number;
  /** Logits per row of the split (rows x outDim). */
  logits: Float32Array;
}

/** Loss and accuracy/RMSE of a split through the serving forward pass. */
export function evaluate(task: Task, net: Net, s: Split, temperature = 1): Evaluation {
  const K = net.spec.outDim;
  const logits = new Float32Array(s.rows.length * K);
  const out = new Float64Array(K);
  let loss = 0;
  let lw = 0;
  let correct = 0;
  let counted = 0;
  let se = 0;
  s.rows.forEach((r, i) => {
    net.forward(s.enc.idx, s.enc.val, s.enc.rowPtr[r]!, s.enc.rowPtr[r + 1]!, s.enc.num, r * s.enc.numDim, out);
    for (let k = 0; k < K; k++) logits[i * K + k] = out[k]!;
    const y = s.y[i]!;
    if (task === 'classification') {
      counted++;
      if (argmax(out) === y) correct++;
      if (y < 0) return;
      loss += s.w[i]! * crossEntropy(out, y, temperature);
      lw += s.w[i]!;
    } else {
      const d = out[0]! - y;
      se += d * d;
      loss += s.w[i]! * d * d;
      lw += s.w[i]!;
      counted++;
    }
  });
  return { loss: lw ? loss / lw : Infinity, accuracy: counted ? correct / counted : 0, rmse: counted ? Math.sqrt(se / counted) : NaN, logits };
}
