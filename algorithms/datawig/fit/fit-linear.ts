/**
 * Training of the linear family (core/linear-model.ts): multinomial logistic regression for
 * classes, squared loss on the standardised label for numbers. Mini-batch FTRL-proximal (AdaGrad's
 * per-coordinate steps with the L1 and L2 penalties in closed form, McMahan et al. 2013), early
 * stopping on the validation loss with patience, best epoch kept. L1 matters: it zeroes the many
 * hashed n-grams that only fit noise (on the generated catalogue it lifted accuracy by ~4 points).
 *
 * Cost is in proportion to the non-zeros a batch touches, not to the table: ids are renumbered to
 * those the training rows use, and only the coordinates a batch touches are updated. That is exact,
 * not an approximation: FTRL's state and weight do not change where the gradient is zero, and the
 * penalties are part of the closed form rather than a decay applied at every step; they change
 * only between epochs, when every weight is recomputed (tested against the dense update).
 */
import { TrainingAbortedError } from '../../../framework/contract/index.js';
import type { EncodedTable } from '../core/features.js';
import { linearModelFromRows, type LinearModel, type TextWeighting } from '../core/linear-model.js';
import { rng } from '../core/rng.js';
import type { EpochReport, Task } from '../format/target-artifact.js';
import type { StepListener, TrainingStep } from './fit-progress.js';

/** Rows of an encoded table with their targets (the shape of train-net's Split). */
export interface LinearData {
  enc: EncodedTable;
  /** Row indices into enc. */
  rows: Int32Array;
  /** Per position in `rows`: the class index (-1: a class unknown to the model) or the standardised value. */
  y: Float32Array;
  /** Per position in `rows`: the loss weight (class weights; 0 leaves the row out). */
  w: Float32Array;
}

export interface LinearSettings {
  /** FTRL's alpha: the per-coordinate step is learningRate / (1 + sqrt(summed squared gradients)). */
  learningRate: number;
  /** L1 penalty per training row: zeroes the weights of ids too rare or too weak to matter (most hashed n-grams). */
  l1: number;
  /** L2 penalty per training row (scikit-learn's `alpha`): the objective is the mean loss + l1 |w| + alpha / 2 |w|^2. */
  alpha: number;
  batchSize: number;
  /** Sparse ids used by fewer training rows than this get no weight. */
  minRows: number;
  epochs: number;
  /** Epochs without validation-loss improvement before stopping. */
  patience: number;
  seed: number;
}

/**
 * Defaults per task, measured with test/bench/linear.bench.ts (generated catalogues, the movies
 * table): classes over text n-grams (small input values) want larger steps than the squared loss,
 * whose gradient is not bounded.
 */
export function linearDefaults(task: Task, trainingRows = 0): LinearSettings {
  // A large table affords stronger sparsity: an id seen in one row is noise there (and costs time),
  // but a fair share of a small table's evidence.
  const large = trainingRows >= 4000;
  const sparsity = large ? { l1: 1.5e-4, minRows: 2 } : { l1: 5e-5, minRows: 1 };
  return task === 'classification'
    ? { learningRate: large ? 5 : 6, ...sparsity, alpha: 1e-6, batchSize: 4, epochs: 30, patience: 3, seed: 42 }
    : { learningRate: 0.3, ...sparsity, alpha: 1e-6, batchSize: 4, epochs: 60, patience: 3, seed: 42 };
}

export interface LinearTrainOptions extends LinearSettings {
  task: Task;
  /** Classes (classification) or 1 (regression). */
  outDim: number;
  /** The sparse id space (the featurizer's `tableRows`); default: the largest id the rows use, plus one. */
  sparseDim?: number;
  /** How the rows were encoded (core/linear-model.ts encodeLinearTable): recorded in the model for serving. */
  textWeighting: TextWeighting;
  /** Regression: the label's mean and standard deviation (the targets are standardised). */
  labelMean?: number;
  labelStd?: number;
  /** Epoch-millisecond time after which training stops before the next batch (the best epoch so far is kept). */
  deadline: number;
  signal: AbortSignal;
  onEpoch?: (e: EpochReport) => void;
  /** After each epoch, once early stopping has seen it (the progress display). */
  onStep?: StepListener;
}

export interface LinearOutcome {
  model: LinearModel;
  bestEpoch: number;
  epochs: number;
  /** The best epoch's validation loss (mean log-loss or mean squared error on the standardised scale). */
  bestValLoss: number;
  stopReason: 'early_stopping' | 'num_epochs' | 'max_training_seconds';
  history: EpochReport[];
}

/** An epoch that lowers the validation loss by less than this share does not reset early stopping's patience. */
const MIN_RELATIVE_GAIN = 0.005;

/** FTRL's beta: the per-coordinate step is learningRate / (beta + sqrt(summed squared gradients)). */
const BETA = 1;
/** A row's loss gradient for a class below this (times the row's weight) counts as zero: most classes of most rows, once trained. */
export const MIN_GRADIENT = 1e-3;
/** How long training may run before it lets the event loop see signals and timers. */
const YIELD_EVERY_MS = 100;

/**
 * Rows of LinearData as the trainer reads them: each row's sparse entries with ids renumbered to
 * parameter rows (ids without one left out), then its non-zero numeric inputs and the bias, also
 * as entries. One kind of entry makes one loop for the scores and one for the updates.
 */
export interface CompactRows {
  rowPtr: Int32Array;
  idx: Int32Array;
  val: Float32Array;
  y: Float32Array;
  w: Float32Array;
}

/**
 * One training run: FTRL-proximal over the parameter rows (one per sparse id the training rows
 * use, one per numeric input, and the bias, which is not penalised), each of K coordinates.
 * `step` applies one mini-batch.
 */
export class LinearTrainer {
  readonly K: number;
  readonly numDim: number;
  /** Sparse ids of the first parameter rows, increasing. */
  readonly ids: Int32Array;
  /** Parameter row of the bias (the numeric inputs' rows precede it). */
  readonly biasRow: number;
  private readonly rowOf: Map<number, number>;
  readonly train: CompactRows;
  /** Penalties on the summed loss: the per-row ones times the training rows' total weight. */
  private readonly totalWeight: number;
  private l1 = 0;
  private l2 = 0;
  // per coordinate [parameter rows x K]: weight, FTRL's z and the summed squared gradients
  private readonly weights: Float32Array;
  private readonly z: Float32Array;
  private readonly squares: Float32Array;
  /** Per parameter row, its non-zero weights: the scores skip rows without any (most, with L1). */
  private readonly nonZero: Int32Array;
  // the batch's gradient of the coordinates it touches (stamped with the batch number)
  private readonly grad: Float64Array;
  private readonly stamp: Int32Array;
  private touched = new Int32Array(1024);
  private readonly scores: Float64Array;
  private readonly active: Int32Array;
  private generation = 0;

  constructor(
    readonly o: Pick<LinearTrainOptions, 'task' | 'outDim' | 'learningRate' | 'alpha' | 'l1' | 'minRows'>,
    train: LinearData,
  ) {
    this.K = o.outDim;
    this.numDim = train.enc.numDim;
    this.ids = usedIds(train, o.minRows);
    this.rowOf = new Map(Array.from(this.ids, (id, c) => [id, c]));
    this.biasRow = this.ids.length + this.numDim;
    this.train = this.compact(train);
    let total = 0;
    for (const w of train.w) total += w > 0 ? w : 0;
    this.totalWeight = total;
    const size = (this.biasRow + 1) * this.K;
    this.weights = new Float32Array(size);
    this.z = new Float32Array(size);
    this.squares = new Float32Array(size);
    this.nonZero = new Int32Array(this.biasRow + 1);
    this.grad = new Float64Array(size);
    this.stamp = new Int32Array(size);
    this.scores = new Float64Array(this.K);
    this.active = new Int32Array(this.K);
  }

  /** `data` as parameter-row entries; ids without a parameter row weigh nothing and are left out. */
  compact(data: LinearData): CompactRows {
    const { enc, rows } = data;
    const { numDim } = this;
    const rowPtr = new Int32Array(rows.length + 1);
    const idx: number[] = [];
    const val: number[] = [];
    for (let i = 0; i < rows.length; i++) {
      const r = rows[i]!;
      for (let p = enc.rowPtr[r]!; p < enc.rowPtr[r + 1]!; p++) {
        const c = this.rowOf.get(enc.idx[p]!);
        if (c === undefined) continue;
        idx.push(c);
        val.push(enc.val[p]!);
      }
      for (let j = 0; j < numDim; j++) {
        const x = enc.num[r * numDim + j]!;
        if (x === 0) continue;
        idx.push(this.ids.length + j);
        val.push(x);
      }
      idx.push(this.biasRow);
      val.push(1);
      rowPtr[i + 1] = idx.length;
    }
    return { rowPtr, idx: Int32Array.from(idx), val: Float32Array.from(val), y: data.y, w: data.w };
  }

  /**
   * Sets the penalties for pass `epoch` (1, 2, ...) over the training rows: the per-row ones times
   * the weight of all rows seen so far, so that FTRL's cumulative objective stays the mean loss plus
   * the penalty however many passes it has made. Every weight is recomputed from its z and n.
   */
  beginEpoch(epoch: number): void {
    this.l1 = this.o.l1 * this.totalWeight * epoch;
    this.l2 = this.o.alpha * this.totalWeight * epoch;
    const { K, weights, nonZero } = this;
    nonZero.fill(0);
    for (let c = 0; c < this.biasRow; c++) {
      for (let j = c * K; j < c * K + K; j++) {
        weights[j] = this.weightOf(j, false);
        if (weights[j] !== 0) nonZero[c]!++;
      }
    }
    nonZero[this.biasRow] = K;
  }

  /** FTRL-proximal's closed form: w = -(z - sign(z) l1) / ((beta + sqrt n) / lr + l2), 0 where |z| <= l1 (the bias: no penalty). */
  private weightOf(j: number, bias: boolean): number {
    const zj = this.z[j]!;
    const l1 = bias ? 0 : this.l1;
    if (zj <= l1 && zj >= -l1) return 0;
    return ((zj > 0 ? l1 : -l1) - zj) / ((BETA + Math.sqrt(this.squares[j]!)) / this.o.learningRate + (bias ? 0 : this.l2));
  }

  /** Scores of row i of `d` into this.scores (a shared buffer). */
  score(d: CompactRows, i: number): Float64Array {
    const { K, weights, scores, nonZero } = this;
    scores.fill(0);
    for (let p = d.rowPtr[i]!; p < d.rowPtr[i + 1]!; p++) {
      const c = d.idx[p]!;
      if (nonZero[c] === 0) continue;
      const x = d.val[p]!;
      const o = c * K;
      for (let k = 0; k < K; k++) scores[k] += x * weights[o + k]!;
    }
    return scores;
  }

  /**
   * Turns this.scores of a row into d(loss)/d(scores) times the row's weight, in place; returns the
   * row's loss (log-loss, or the squared error: the gradient is that of half of it).
   */
  private lossGradient(y: number, w: number): number {
    const { K, scores } = this;
    if (this.o.task === 'regression') {
      const e = scores[0]! - y;
      scores[0] = w * e;
      return e * e;
    }
    let m = -Infinity;
    for (let k = 0; k < K; k++) if (scores[k]! > m) m = scores[k]!;
    let s = 0;
    for (let k = 0; k < K; k++) s += scores[k] = Math.exp(scores[k]! - m);
    const loss = -Math.log(Math.max(1e-300, scores[y]! / s));
    for (let k = 0; k < K; k++) scores[k] = (w * scores[k]!) / s;
    scores[y]! -= w;
    return loss;
  }

  /** Whether row i of `d` takes part in losses: a positive weight and, for classes, a known class. */
  private counts(d: CompactRows, i: number): boolean {
    return d.w[i]! > 0 && (this.o.task === 'regression' || d.y[i]! >= 0);
  }

  /**
   * One mini-batch of training rows (positions in this.train): the summed gradient of their weighted
   * losses over the coordinates they touch, then an FTRL step on those only (the others' step would
   * be zero). Returns the summed weighted loss and the summed weight.
   */
  step(batch: ArrayLike<number>): { loss: number; weight: number } {
    const { K, train: d, grad, stamp, active } = this;
    const gen = ++this.generation;
    let nTouched = 0;
    let lossSum = 0;
    let weight = 0;
    for (let b = 0; b < batch.length; b++) {
      const i = batch[b]!;
      if (!this.counts(d, i)) continue;
      this.score(d, i);
      lossSum += d.w[i]! * this.lossGradient(d.y[i]!, d.w[i]!);
      weight += d.w[i]!;
      const g = this.scores;
      let nActive = 0;
      for (let k = 0; k < K; k++) if (Math.abs(g[k]!) >= MIN_GRADIENT * d.w[i]!) active[nActive++] = k;
      const start = d.rowPtr[i]!;
      const end = d.rowPtr[i + 1]!;
      if (this.touched.length < nTouched + (end - start) * nActive) this.grow(nTouched + (end - start) * nActive);
      const touched = this.touched;
      for (let p = start; p < end; p++) {
        const o = d.idx[p]! * K;
        const x = d.val[p]!;
        for (let a = 0; a < nActive; a++) {
          const k = active[a]!;
          const j = o + k;
          if (stamp[j] !== gen) {
            stamp[j] = gen;
            touched[nTouched++] = j;
            grad[j] = x * g[k]!;
          } else {
            grad[j] += x * g[k]!;
          }
        }
      }
    }
    for (let t = 0; t < nTouched; t++) this.update(this.touched[t]!);
    return { loss: lossSum, weight };
  }

  private grow(size: number): void {
    const grown = new Int32Array(2 * size);
    grown.set(this.touched);
    this.touched = grown;
  }

  /**
   * FTRL-proximal on coordinate j with gradient grad[j]: z += g - sigma w (sigma: the change of the
   * coordinate's inverse step), then w = -(z - sign(z) l1) / ((beta + sqrt n) / lr + l2), 0 where |z| <= l1.
   */
  private update(j: number): void {
    const { weights, z, squares } = this;
    const g = this.grad[j]!;
    const before = squares[j]!;
    const after = before + g * g;
    squares[j] = after;
    const w = weights[j]!;
    // sigma = (sqrt(n + g^2) - sqrt(n)) / lr; a zero weight (most of them, with L1) needs no root
    z[j] = w === 0 ? z[j]! + g : z[j]! + g - ((Math.sqrt(after) - Math.sqrt(before)) / this.o.learningRate) * w;
    const next = this.weightOf(j, j >= this.biasRow * this.K);
    weights[j] = next;
    if ((w === 0) !== (next === 0)) this.nonZero[Math.floor(j / this.K)]! += w === 0 ? 1 : -1;
  }

  /** Mean weighted loss over rows `d` (log-loss over rows of known class, or squared error); NaN without such rows. */
  meanLoss(d: CompactRows): number {
    let loss = 0;
    let weight = 0;
    for (let i = 0; i < d.y.length; i++) {
      if (!this.counts(d, i)) continue;
      this.score(d, i);
      loss += d.w[i]! * this.lossGradient(d.y[i]!, 1);
      weight += d.w[i]!;
    }
    return weight > 0 ? loss / weight : NaN;
  }

  /** Share of rows `d` whose highest score is their class (classification; unknown classes count as wrong). */
  accuracy(d: CompactRows): number {
    let correct = 0;
    for (let i = 0; i < d.y.length; i++) {
      const s = this.score(d, i);
      let best = 0;
      for (let k = 1; k < this.K; k++) if (s[k]! > s[best]!) best = k;
      if (best === d.y[i]) correct++;
    }
    return d.y.length ? correct / d.y.length : 0;
  }

  /** A copy of the current weights, [parameter rows x K]. */
  snapshot(): Float32Array {
    return this.weights.slice();
  }

  /** The model of a snapshot, over the id space [0, sparseDim). */
  model(s: Float32Array, sparseDim: number, label: { mean: number; std: number }, textWeighting: TextWeighting): LinearModel {
    const { K, numDim } = this;
    const spec = { task: this.o.task, sparseDim, numDim, outDim: K, labelMean: label.mean, labelStd: label.std, textWeighting };
    const used = this.ids.length;
    return linearModelFromRows(spec, this.ids, s.slice(0, used * K), s.slice(used * K, (used + numDim) * K), s.slice((used + numDim) * K));
  }
}

/**
 * The sparse ids that at least `minRows` of the rows use (with a positive weight), increasing.
 * Rarer ids could only memorise their few rows (under L1 their weights stay zero anyway), and
 * leaving them out makes the state smaller and the epochs faster.
 */
function usedIds(data: LinearData, minRows: number): Int32Array {
  const counts = new Map<number, number>();
  const { enc } = data;
  data.rows.forEach((r, i) => {
    if (!(data.w[i]! > 0)) return;
    for (let p = enc.rowPtr[r]!; p < enc.rowPtr[r + 1]!; p++) counts.set(enc.idx[p]!, (counts.get(enc.idx[p]!) ?? 0) + 1);
  });
  const ids: number[] = [];
  for (const [id, n] of counts) if (n >= minRows) ids.push(id);
  return Int32Array.from(ids).sort();
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
 * Fits a linear model: epochs over the shuffled training rows in mini-batches (seeded), each
 * followed by the validation loss; the best epoch's weights are kept, training stops after
 * `patience` epochs without improvement, at `epochs`, or at the deadline (checked between batches,
 * never before the first). The abort signal, also checked between batches, throws TrainingAbortedError.
 * Validation rows without a known label: selection falls back to the training loss.
 */
export async function fitLinear(o: LinearTrainOptions, train: LinearData, val: LinearData): Promise<LinearOutcome> {
  const run = new LinearRun(o, train, val);
  while (await run.epoch());
  return run.outcome();
}

/** One fitLinear, an epoch at a time (so that two step sizes can be trained side by side). */
class LinearRun {
  private readonly t: LinearTrainer;
  private readonly valRows: CompactRows;
  private readonly random: () => number;
  private readonly order: Int32Array;
  private readonly history: EpochReport[] = [];
  private best: Float32Array | undefined;
  /** The best epoch's validation loss so far (Infinity before the first). */
  bestLoss = Infinity;
  private bestEpoch = 0;
  private since = 0;
  private stopReason: LinearOutcome['stopReason'] = 'num_epochs';
  private readonly clock = { yielded: Date.now() };
  /** Whether training has stopped (early stopping, the epoch limit or the deadline). */
  done = false;
  /** Where the last epoch left training (the progress display). */
  lastStep: TrainingStep | undefined;

  constructor(
    private readonly o: LinearTrainOptions,
    private readonly train: LinearData,
    private readonly val: LinearData,
  ) {
    this.t = new LinearTrainer(o, train);
    this.valRows = this.t.compact(val);
    this.random = rng(o.seed ^ 0x2545f491);
    this.order = Int32Array.from(train.rows, (_, i) => i);
  }

  /** Trains the next epoch; whether there is one more to train. */
  async epoch(): Promise<boolean> {
    const { o, t, valRows, history } = this;
    if (this.done) return false;
    const epoch = history.length + 1;
    if (epoch > o.epochs) return !(this.done = true);
    shuffle(this.order, this.random);
    t.beginEpoch(epoch);
    const trainLoss = await trainEpoch(t, o, this.order, epoch > 1, this.clock);
    if (trainLoss === undefined) {
      this.stopReason = 'max_training_seconds';
      return !(this.done = true);
    }
    const valLoss = t.meanLoss(valRows);
    const selectLoss = Number.isFinite(valLoss) ? valLoss : trainLoss;
    const rep: EpochReport = {
      epoch,
      trainLoss,
      valLoss,
      ...(o.task === 'classification' ? { valAccuracy: t.accuracy(valRows) } : { valRmse: Math.sqrt(valLoss) }),
    };
    history.push(rep);
    o.onEpoch?.(rep);
    const improved = selectLoss < this.bestLoss - 1e-6 || !this.best;
    // the best epoch is kept however little it gained; patience runs out on gains below MIN_RELATIVE_GAIN (the slow tail)
    const gained = selectLoss < this.bestLoss * (1 - MIN_RELATIVE_GAIN) || !this.best;
    if (improved) {
      this.bestLoss = selectLoss;
      this.best = t.snapshot();
      this.bestEpoch = epoch;
    }
    if (gained) this.since = 0;
    else if (++this.since >= o.patience) {
      this.stopReason = 'early_stopping';
      this.done = true;
    }
    if (epoch >= o.epochs) this.done = true;
    this.lastStep = { step: epoch, total: o.epochs, trainLoss, valLoss, bestStep: this.bestEpoch, sinceBest: this.since, patience: o.patience };
    o.onStep?.(this.lastStep);
    return !this.done;
  }

  /** Stops training where it is (the best epoch so far is kept). */
  stop(): void {
    this.done = true;
  }

  outcome(): LinearOutcome {
    const { o, t } = this;
    if (!this.best) {
      this.best = t.snapshot();
      this.bestLoss = t.meanLoss(this.valRows);
    }
    const sparseDim = o.sparseDim ?? maxId(this.train.enc, this.val.enc) + 1;
    const label = { mean: o.labelMean ?? 0, std: o.labelStd ?? 1 };
    const { best, bestEpoch, bestLoss, stopReason, history } = this;
    return { model: t.model(best, sparseDim, label, o.textWeighting), bestEpoch, epochs: history.length, bestValLoss: bestLoss, stopReason, history };
  }
}

/**
 * One pass in mini-batches; the mean weighted training loss, or undefined when the deadline passed
 * (checked before each batch, though never before the training's very first one).
 */
async function trainEpoch(
  t: LinearTrainer,
  o: LinearTrainOptions,
  order: Int32Array,
  afterFirstEpoch: boolean,
  clock: { yielded: number },
): Promise<number | undefined> {
  let loss = 0;
  let weight = 0;
  const B = Math.max(1, o.batchSize);
  for (let b0 = 0; b0 < order.length; b0 += B) {
    if (Date.now() - clock.yielded > YIELD_EVERY_MS) {
      // a synchronous loop would keep a SIGTERM handler (a macrotask) waiting until the end
      await new Promise<void>((resolve) => setImmediate(resolve));
      clock.yielded = Date.now();
    }
    if (o.signal.aborted) throw new TrainingAbortedError();
    if (Date.now() > o.deadline && (afterFirstEpoch || b0 > 0)) return undefined;
    const r = t.step(order.subarray(b0, Math.min(order.length, b0 + B)));
    loss += r.loss;
    weight += r.weight;
  }
  return weight > 0 ? loss / weight : NaN;
}

/** The largest sparse id of the tables (-1 if none). */
function maxId(...tables: EncodedTable[]): number {
  let m = -1;
  for (const e of tables) for (let p = 0; p < e.idx.length; p++) if (e.idx[p]! > m) m = e.idx[p]!;
  return m;
}

/** A best epoch this early, with early stopping, says the step was too large for the data. */
const OVERSHOT_BEST_EPOCH = 2;
/** The step of the second try. */
const SLOW_STEP_FACTOR = 0.25;
/** Training nonzeros x outputs up to which both steps are always tried (such fits take a fraction of a second). */
const SMALL_PROBLEM = 2_000_000;

/**
 * fitLinear with a second step size: the default step converges in a few epochs on large or
 * redundant text, but overshoots on small noisy data, where the best epoch comes first and early
 * stopping ends training at once. Such a fit is fitted again at a quarter of the step, and the fit
 * with the lower validation loss is kept. Small problems train both steps side by side, an epoch
 * each in turn: once the quarter step's best loss is below the default step's (a step that large
 * is behind one four times smaller: it overshoots), the default step stops there.
 */
export async function fitLinearAdaptive(o: LinearTrainOptions, train: LinearData, val: LinearData): Promise<LinearOutcome> {
  const slowOptions = { ...o, learningRate: o.learningRate * SLOW_STEP_FACTOR };
  if (nonZeros(train) * o.outDim > SMALL_PROBLEM) {
    const fast = await fitLinear(o, train, val);
    const overshot = fast.stopReason === 'early_stopping' && fast.bestEpoch <= OVERSHOT_BEST_EPOCH;
    if (!overshot || Date.now() > o.deadline) return fast;
    return better(await fitLinear(slowOptions, train, val), fast);
  }
  // side by side: the display follows the leading run, an epoch of both at a time
  const fast = new LinearRun({ ...o, onStep: undefined }, train, val);
  const slow = new LinearRun({ ...slowOptions, onStep: undefined }, train, val);
  for (let epoch = 1; !fast.done || !slow.done; epoch++) {
    await fast.epoch();
    await slow.epoch();
    if (slow.bestLoss < fast.bestLoss) fast.stop();
    const lead = slow.bestLoss < fast.bestLoss ? slow : fast;
    if (lead.lastStep) o.onStep?.({ ...lead.lastStep, step: epoch });
  }
  return better(slow.outcome(), fast.outcome());
}

/** The fit with the lower validation loss (ties: the second, the default step). */
function better(slow: LinearOutcome, fast: LinearOutcome): LinearOutcome {
  return slow.bestValLoss < fast.bestValLoss ? slow : fast;
}

function nonZeros(d: LinearData): number {
  let n = 0;
  for (const r of d.rows) n += d.enc.rowPtr[r + 1]! - d.enc.rowPtr[r]!;
  return n;
}
