/**
 * Training of the network: mini-batches, Adam, early stopping on the validation loss with patience,
 * best epoch kept. Validation runs through the serving forward pass (core/net.ts) so that what is
 * selected is exactly what will be served.
 *
 * The weights live in Float32Arrays. Per batch the embedding bag is summed here (only the rows the
 * batch uses), TensorFlow.js runs the dense rest of the network forward and backward from that bag
 * output, and the optimizer updates here: Adam for the dense weights and lazy Adam for the
 * embedding table, touching only the rows the batch used (a dense Adam step over a 32,768 x 32
 * table per batch dominated training).
 */
import type { Scalar, Tensor, Tensor2D } from '@tensorflow/tfjs';
import { argmax, TrainingAbortedError } from '../../../framework/contract/index.js';
import { crossEntropy, fitTemperature, nll } from '../core/calibration.js';
import type { EncodedTable } from '../core/features.js';
import { initWeights, Net } from '../core/net.js';
import { SeededRng } from '../core/rng.js';
import { weightShapes, type NetSpec } from '../format/net-spec.js';
import type { StepListener } from './fit-progress.js';
import type { EpochReport, Task, TrainingSettings } from '../format/target-artifact.js';
import { bagRows, embeddingBag, scatterRows, type Tf } from './tf-backend.js';

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
  /** After each epoch, once early stopping has seen it (the progress display). */
  onStep?: StepListener;
  /** Where the state after each epoch is saved and a saved one is taken from (fit/checkpoints.ts). */
  checkpoints?: EpochCheckpoints;
}

export interface TrainOutcome {
  weights: Map<string, Float32Array>;
  bestEpoch: number;
  epochs: number;
  bestValLoss: number;
  stopReason: StopReason;
  history: EpochReport[];
}

type StopReason = 'early_stopping' | 'num_epochs' | 'max_training_seconds';

/**
 * The training of one candidate after an epoch: everything the rest of its training depends on, so
 * that training continued from it gives the same bytes as training that never stopped.
 */
export interface TrainState {
  /** Epochs finished. */
  epoch: number;
  steps: number;
  /** The shuffling generator's state after the last epoch's shuffle. */
  rngState: number;
  sinceBest: number;
  /** Infinity: no epoch yet. */
  bestLoss: number;
  bestEpoch: number;
  history: EpochReport[];
  /** Training time of this candidate so far, over every run of the job. */
  elapsedMs: number;
  /** Set when training ended: the state then holds the outcome. */
  stopReason: StopReason | undefined;
  /**
   * `order` (int32: the shuffled training rows), `weight/<name>`, `best/<name>` (absent when the
   * best epoch is the last one) and the optimizer's `adam/...` arrays.
   */
  arrays: Map<string, Float32Array | Int32Array>;
}

/** The epoch checkpoints of one candidate (written by fit/checkpoints.ts). */
export interface EpochCheckpoints {
  /**
   * The saved state to continue from, if there is one and `problem` finds none in it (a problem is
   * logged and training starts afresh).
   */
  takeResume(problem: (s: TrainState) => string | undefined): TrainState | undefined;
  /** After an epoch (`final`: training ended): saves `state()` when a save is due (always when final). */
  afterEpoch(state: () => TrainState, final: boolean): Promise<void>;
}

export async function trainNet(tf: Tf, o: TrainOptions, train: Split, val: Split): Promise<TrainOutcome> {
  const shapes = weightShapes(o.net);
  const resume = o.checkpoints?.takeResume((s) => resumeProblem(o, shapes, train, s));
  const weights = resume ? weightsOf(resume, 'weight', shapes) : initWeights(o.net, o.seed, o.sparseColumns);
  const adam = new Adam(shapes, o.learningRate, o.net.embDim, resume);
  const t: Training = { tf, o, shapes, weights, adam, deadline: o.deadline - (resume?.elapsedMs ?? 0), yielded: Date.now() };
  return trainEpochs(t, train, val, resume);
}

/** The network being trained: its weights (updated in place) and the optimizer's state. */
interface Training {
  tf: Tf;
  o: TrainOptions;
  shapes: { name: string; shape: number[] }[];
  weights: Map<string, Float32Array>;
  adam: Adam;
  /** `o.deadline` less the time a resumed candidate trained before the restart. */
  deadline: number;
  /** When training last gave the event loop a turn. */
  yielded: number;
}

/** Where the epochs stand: the shuffle, early stopping's counters, the best weights, the history. */
interface Progress {
  epoch: number;
  random: SeededRng;
  order: Int32Array;
  history: EpochReport[];
  best: Map<string, Float32Array> | undefined;
  bestLoss: number;
  bestEpoch: number;
  since: number;
  /** The weights after the last epoch. */
  current: Map<string, Float32Array> | undefined;
  elapsedBefore: number;
  startedAt: number;
}

/** The epochs, each followed by validation: keeps the best epoch's weights, stops early or at the deadline. */
async function trainEpochs(t: Training, train: Split, val: Split, resume: TrainState | undefined): Promise<TrainOutcome> {
  const { o } = t;
  const p = resume ? resumedProgress(resume, t.shapes) : freshProgress(o, train);
  let stopReason: StopReason = resume?.stopReason ?? 'num_epochs';
  const batchesPerEpoch = Math.ceil(p.order.length / o.batchSize);
  for (let epoch = p.epoch + 1; epoch <= o.epochs && !resume?.stopReason; epoch++) {
    shuffle(p.order, p.random);
    const trainLoss = await trainEpoch(t, train, p.order, p.history.length > 0);
    if (trainLoss === undefined) {
      stopReason = 'max_training_seconds';
      p.current = copyWeights(t.weights);
      break;
    }
    const weights = copyWeights(t.weights);
    const ev = evaluate(o.task, new Net(o.net, weights), val);
    const selectLoss = selectionLoss(o, ev, val);
    const rep: EpochReport = { epoch, trainLoss, valLoss: ev.loss, ...(o.task === 'classification' ? { valAccuracy: ev.accuracy } : { valRmse: ev.rmse }) };
    p.history.push(rep);
    p.epoch = epoch;
    p.current = weights;
    o.onEpoch?.(rep);
    if (selectLoss < p.bestLoss - 1e-6 || !p.best) {
      p.bestLoss = selectLoss;
      p.best = weights;
      p.bestEpoch = epoch;
      p.since = 0;
    } else if (++p.since >= o.patience && epoch * batchesPerEpoch >= MIN_STEPS) {
      stopReason = 'early_stopping';
    }
    o.onStep?.({ step: epoch, total: o.epochs, trainLoss, valLoss: ev.loss, bestStep: p.bestEpoch, sinceBest: p.since, patience: o.patience });
    if (stopReason === 'early_stopping') break;
    if (epoch < o.epochs) await o.checkpoints?.afterEpoch(() => snapshot(t, p, undefined), false);
  }
  if (!resume?.stopReason) await o.checkpoints?.afterEpoch(() => snapshot(t, p, stopReason), true);
  let best = p.best;
  let bestLoss = p.bestLoss;
  if (!best) {
    best = p.current ?? copyWeights(t.weights);
    bestLoss = selectionLoss(o, evaluate(o.task, new Net(o.net, best), val), val);
  }
  return { weights: best, bestEpoch: p.bestEpoch, epochs: p.history.length, bestValLoss: bestLoss, stopReason, history: p.history };
}

function freshProgress(o: TrainOptions, train: Split): Progress {
  const empty = { best: undefined, current: undefined, bestLoss: Infinity, bestEpoch: 0, since: 0, elapsedBefore: 0 };
  return { ...empty, epoch: 0, random: SeededRng.fromSeed(o.seed ^ 0x5bd1e995), order: Int32Array.from(train.rows), history: [], startedAt: Date.now() };
}

function resumedProgress(s: TrainState, shapes: { name: string }[]): Progress {
  const current = weightsOf(s, 'weight', shapes);
  // every finished epoch leaves a best one (epoch >= 1): none only when training stopped in the first
  const hasBest = s.bestEpoch > 0;
  return {
    epoch: s.epoch,
    random: SeededRng.fromState(s.rngState),
    order: Int32Array.from(s.arrays.get('order')!),
    history: s.history.map((h) => ({ ...h })),
    best: !hasBest ? undefined : s.arrays.has(`best/${shapes[0]!.name}`) ? weightsOf(s, 'best', shapes) : current,
    bestLoss: s.bestLoss,
    bestEpoch: s.bestEpoch,
    since: s.sinceBest,
    current,
    elapsedBefore: s.elapsedMs,
    startedAt: Date.now(),
  };
}

/** The state after the last epoch (`stopReason`: training ended). */
function snapshot(t: Training, p: Progress, stopReason: StopReason | undefined): TrainState {
  const arrays = new Map<string, Float32Array | Int32Array>([['order', p.order]]);
  const current = p.current ?? copyWeights(t.weights);
  for (const [name, w] of current) arrays.set(`weight/${name}`, w);
  if (p.best && p.best !== current) for (const [name, w] of p.best) arrays.set(`best/${name}`, w);
  t.adam.saveTo(arrays);
  return {
    epoch: p.epoch,
    steps: t.adam.steps,
    rngState: p.random.state,
    sinceBest: p.since,
    bestLoss: p.bestLoss,
    bestEpoch: p.bestEpoch,
    history: p.history,
    elapsedMs: p.elapsedBefore + (Date.now() - p.startedAt),
    stopReason,
    arrays,
  };
}

/** Why a saved state cannot continue this training (undefined: it can). */
function resumeProblem(o: TrainOptions, shapes: { name: string; shape: number[] }[], train: Split, s: TrainState): string | undefined {
  if (s.epoch > o.epochs) return `it is at epoch ${s.epoch}, beyond num_epochs (${o.epochs})`;
  if (s.history.length !== s.epoch) return `its history has ${s.history.length} epochs, not ${s.epoch}`;
  const order = s.arrays.get('order');
  if (!(order instanceof Int32Array) || order.length !== train.rows.length) return `its row order does not have the ${train.rows.length} training rows`;
  const rows = new Set(train.rows);
  if (order.some((r) => !rows.has(r)) || new Set(order).size !== order.length) return 'its row order is not a permutation of the training rows';
  for (const { name, shape } of shapes) {
    const size = shape.reduce((a, b) => a * b, 1);
    for (const key of [`weight/${name}`, `adam/m/${name}`, `adam/v/${name}`, ...(s.arrays.has(`best/${shapes[0]!.name}`) ? [`best/${name}`] : [])]) {
      const a = s.arrays.get(key);
      if (!(a instanceof Float32Array) || a.length !== size) return `array "${key}" does not have the ${size} values of the network's "${name}"`;
      if (!a.every(Number.isFinite)) return `array "${key}" holds values that are not finite`;
    }
  }
  const rowSteps = s.arrays.get(ROW_STEPS);
  if (!(rowSteps instanceof Int32Array) || rowSteps.length !== o.net.tableRows) return `array "${ROW_STEPS}" does not have the ${o.net.tableRows} table rows`;
  if (rowSteps.some((n) => n < 0 || n > s.steps)) return `array "${ROW_STEPS}" holds step counts outside 0..${s.steps}`;
  return undefined;
}

/** The weights `<prefix>/<name>` of a state, by weight name. */
function weightsOf(s: TrainState, prefix: string, shapes: { name: string }[]): Map<string, Float32Array> {
  return new Map(shapes.map(({ name }) => [name, Float32Array.from(s.arrays.get(`${prefix}/${name}`)!)]));
}

/** A copy of the weights (what an epoch's validation and the best epoch keep). */
function copyWeights(w: Map<string, Float32Array>): Map<string, Float32Array> {
  return new Map([...w].map(([name, a]) => [name, a.slice()]));
}

const BETA1 = 0.9;
const BETA2 = 0.999;
/** tfjs's float32 epsilon, as its Adam used. */
const EPSILON = 1e-7;
/** The state array of the embedding rows' own step counts. */
const ROW_STEPS = 'adam/row_steps';

/**
 * Adam (Kingma & Ba) for the dense weights and lazy Adam for the embedding table: a row's moments
 * and weights change only in the steps whose batch uses the row, and its bias correction uses the
 * number of those steps (its moments have seen that many gradients, not the global step count).
 */
class Adam {
  /** Global steps (the dense weights' bias correction). */
  steps: number;
  private readonly m = new Map<string, Float32Array>();
  private readonly v = new Map<string, Float32Array>();
  private readonly rowSteps: Int32Array;
  /** Per table row: its slot in this batch's row gradient (-1: unused); reset after each step. */
  private readonly slotOf: Int32Array;
  private usedRows = new Int32Array(0);
  private entrySlots = new Int32Array(0);
  private rowGrad = new Float32Array(0);
  /** Bias corrections by step count: 1 / (1 - beta1^n) and 1 / (1 - beta2^n). */
  private firstCorrection = new Float64Array(0);
  private secondCorrection = new Float64Array(0);

  constructor(
    shapes: { name: string; shape: number[] }[],
    private readonly lr: number,
    private readonly D: number,
    resume: TrainState | undefined,
  ) {
    for (const { name, shape } of shapes) {
      const size = shape.reduce((a, b) => a * b, 1);
      this.m.set(name, resume ? Float32Array.from(resume.arrays.get(`adam/m/${name}`)!) : new Float32Array(size));
      this.v.set(name, resume ? Float32Array.from(resume.arrays.get(`adam/v/${name}`)!) : new Float32Array(size));
    }
    const rows = shapes[0]!.shape[0]!;
    this.steps = resume?.steps ?? 0;
    this.rowSteps = resume ? Int32Array.from(resume.arrays.get(ROW_STEPS)!) : new Int32Array(rows);
    this.slotOf = new Int32Array(rows).fill(-1);
    this.growCorrections(this.steps + 1024);
  }

  /** One step of the dense weights `name` (w updated in place). */
  dense(name: string, w: Float32Array, g: Float32Array): void {
    adamUpdate(w, this.m.get(name)!, this.v.get(name)!, g, this.lr * this.firstCorrection[this.steps]!, this.secondCorrection[this.steps]!);
  }

  /** Counts a step: call before the step's updates. */
  nextStep(): void {
    this.steps++;
    if (this.steps >= this.firstCorrection.length) this.growCorrections(this.steps * 2);
  }

  /**
   * 1 / (1 - beta^n) for n up to `size` - 1: two Math.pow per table row and step cost a fifth of
   * the lazy update (a row's step count never exceeds the global one, so the table covers both).
   */
  private growCorrections(size: number): void {
    this.firstCorrection = Float64Array.from({ length: size }, (_, n) => 1 / (1 - Math.pow(BETA1, n)));
    this.secondCorrection = Float64Array.from({ length: size }, (_, n) => 1 / (1 - Math.pow(BETA2, n)));
  }

  /**
   * One lazy step of the table `emb` from the gradient of the batch's bag output `dBag` (B x D):
   * row r's gradient is the sum over the batch's entries k with idx[k] = r of val[k] * dBag[seg[k]].
   */
  rows(emb: Float32Array, dBag: Float32Array, idx: Int32Array, val: Float32Array, seg: Int32Array): void {
    const { D, slotOf } = this;
    if (this.entrySlots.length < idx.length) this.entrySlots = new Int32Array(idx.length * 2);
    if (this.usedRows.length < idx.length) this.usedRows = new Int32Array(idx.length * 2);
    let used = 0;
    for (let k = 0; k < idx.length; k++) {
      const r = idx[k]!;
      if (slotOf[r]! < 0) {
        slotOf[r] = 0;
        this.usedRows[used++] = r;
      }
    }
    // ascending rows: the updates walk the table, moments and gradient in memory order
    const rows = this.usedRows.subarray(0, used).sort();
    for (let s = 0; s < used; s++) slotOf[rows[s]!] = s;
    const slots = this.entrySlots.subarray(0, idx.length);
    for (let k = 0; k < idx.length; k++) slots[k] = slotOf[idx[k]!]!;
    if (this.rowGrad.length < used * D) this.rowGrad = new Float32Array(used * D * 2);
    const grad = this.rowGrad.subarray(0, used * D);
    grad.fill(0);
    scatterRows(grad, dBag, slots, seg, val, D);
    const m = this.m.get('emb')!;
    const v = this.v.get('emb')!;
    const steps = this.rowSteps;
    const { lr, firstCorrection, secondCorrection: secondCorrections } = this;
    for (let s = 0; s < used; s++) {
      const r = rows[s]!;
      slotOf[r] = -1;
      const n = ++steps[r]!;
      const stepSize = lr * firstCorrection[n]!;
      const secondCorrection = secondCorrections[n]!;
      // the Adam update of one row, inlined: a call per row cost several times the arithmetic
      const at = r * D;
      const gAt = s * D;
      for (let i = 0; i < D; i++) {
        const gi = grad[gAt + i]!;
        const mi = BETA1 * m[at + i]! + (1 - BETA1) * gi;
        const vi = BETA2 * v[at + i]! + (1 - BETA2) * gi * gi;
        m[at + i] = mi;
        v[at + i] = vi;
        emb[at + i] -= (stepSize * mi) / (Math.sqrt(vi * secondCorrection) + EPSILON);
      }
    }
  }

  /** The moments and the rows' step counts, as state arrays (views: encoded before the next step). */
  saveTo(arrays: Map<string, Float32Array | Int32Array>): void {
    for (const [name, a] of this.m) arrays.set(`adam/m/${name}`, a);
    for (const [name, a] of this.v) arrays.set(`adam/v/${name}`, a);
    arrays.set(ROW_STEPS, this.rowSteps);
  }
}

/**
 * w -= stepSize * m / (sqrt(v * secondCorrection) + eps) after the moments take the gradient g;
 * `stepSize` = lr / (1 - beta1^t) folds in the first moment's bias correction.
 */
function adamUpdate(w: Float32Array, m: Float32Array, v: Float32Array, g: Float32Array, stepSize: number, secondCorrection: number): void {
  for (let i = 0; i < w.length; i++) {
    const gi = g[i]!;
    const mi = BETA1 * m[i]! + (1 - BETA1) * gi;
    const vi = BETA2 * v[i]! + (1 - BETA2) * gi * gi;
    m[i] = mi;
    v[i] = vi;
    w[i] -= (stepSize * mi) / (Math.sqrt(vi * secondCorrection) + EPSILON);
  }
}

/** In-place Fisher-Yates shuffle. */
function shuffle(order: Int32Array, random: SeededRng): void {
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
}

/**
 * How long training may run before it lets the event loop see signals and timers (counted across
 * epochs: a small table's epochs take a few ms each, and a per-epoch count never reached the limit).
 */
const YIELD_EVERY_MS = 20;

/**
 * One pass over the shuffled rows in mini-batches. Returns the mean training loss (weighted by the
 * rows' loss weights), or undefined when the deadline passed (checked before each batch, though
 * never before the very first one of the training).
 */
async function trainEpoch(t: Training, train: Split, order: Int32Array, afterFirstEpoch: boolean): Promise<number | undefined> {
  const { o } = t;
  let lossSum = 0;
  let lossW = 0;
  for (let b0 = 0; b0 < order.length; b0 += o.batchSize) {
    // Training runs synchronously, so a SIGTERM handler (a macrotask) would run only after the
    // whole target: give the event loop a turn now and then so that the stop is seen.
    if (Date.now() - t.yielded > YIELD_EVERY_MS) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      t.yielded = Date.now();
    }
    if (o.signal.aborted) throw new TrainingAbortedError();
    if (Date.now() > t.deadline && (afterFirstEpoch || b0 > 0)) return undefined;
    const batch = gatherBatch(o, train, order.subarray(b0, Math.min(order.length, b0 + o.batchSize)));
    const lv = trainBatch(t, batch);
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

/**
 * One optimizer step on a batch; returns its loss. The bag output is summed here, tfjs gives the
 * gradients of the loss for it and for the dense weights, and the optimizer applies them.
 */
function trainBatch(t: Training, b: Batch): number {
  const { tf, o, adam } = t;
  const D = o.net.embDim;
  const emb = t.weights.get('emb')!;
  const bag = new Float32Array(b.B * D);
  bagRows(bag, emb, b.seg, b.idx, b.val, D);
  const dense = t.shapes.filter((s) => s.name !== 'emb');
  const { loss, grads } = tf.tidy(() => {
    const bagT = tf.tensor2d(bag, [b.B, D]);
    const params = new Map<string, Tensor>(dense.map((s) => [s.name, tf.tensor(t.weights.get(s.name)!, s.shape, 'float32')]));
    const { value, grads: gs } = tf.engine().gradients(() => batchLoss(t, b, bagT, params), [bagT, ...params.values()]);
    return { loss: value.dataSync()[0]!, grads: gs.map((g) => g.dataSync() as Float32Array) };
  });
  adam.nextStep();
  dense.forEach((s, i) => adam.dense(s.name, t.weights.get(s.name)!, grads[i + 1]!));
  adam.rows(emb, grads[0]!, b.idx, b.val, b.seg);
  return loss;
}

/** The batch's weighted mean loss (cross-entropy or squared error) plus the L2 penalty, in tfjs ops. */
function batchLoss(t: Training, b: Batch, bag: Tensor2D, params: Map<string, Tensor>): Scalar {
  const { tf, o } = t;
  const logits = forwardFromBag(tf, params, o.net, bag, b.num, b.B);
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
    for (const [n, v] of params) if (n.endsWith('_w')) loss = tf.add(loss, tf.mul(o.weightDecay, tf.sum(tf.square(v))));
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

/** The network in tfjs ops (same math as Net.forward). */
export function forwardTf(
  tf: Tf,
  v: Map<string, Tensor>,
  s: NetSpec,
  idx: Int32Array,
  val: Float32Array,
  seg: Int32Array,
  num: Float32Array,
  B: number,
): Tensor2D {
  const bag = embeddingBag(tf, v.get('emb')!, tf.tensor1d(idx, 'int32'), tf.tensor1d(val), tf.tensor1d(seg, 'int32'), B);
  return forwardFromBag(tf, v, s, bag, num, B);
}

/** The network after the embedding bag's sum, in tfjs ops. */
function forwardFromBag(tf: Tf, v: Map<string, Tensor>, s: NetSpec, bag: Tensor2D, num: Float32Array, B: number): Tensor2D {
  let h = tf.relu(tf.add(bag, v.get('emb_b')!)) as Tensor2D;
  if (s.numDim > 0) {
    let x = tf.tensor2d(num.subarray(0, B * s.numDim), [B, s.numDim]);
    s.numHidden.forEach((_, i) => {
      x = tf.relu(tf.add(tf.matMul(x, v.get(`num${i}_w`)! as Tensor2D), v.get(`num${i}_b`)!)) as Tensor2D;
    });
    h = tf.concat([h, x], 1);
  }
  s.fcHidden.forEach((_, i) => {
    h = tf.relu(tf.add(tf.matMul(h, v.get(`fc${i}_w`)! as Tensor2D), v.get(`fc${i}_b`)!)) as Tensor2D;
  });
  return tf.add(tf.matMul(h, v.get('out_w')! as Tensor2D), v.get('out_b')!) as Tensor2D;
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
