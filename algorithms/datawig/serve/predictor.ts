/** Serving: decoded request batches in, one prediction per input record out. */
import {
  argmax,
  copyRecord,
  MissingValues,
  requireColumns,
  setKey,
  type ArtifactStore,
  type DataRecord,
  type InputRecord,
  type PredictionBatch,
  type PredictOptions,
  type Predictor,
  type Presenter,
  type RecordBatch,
  type RecordPrediction,
  type TargetPrediction,
} from '../../../framework/contract/index.js';
import type { DatawigAttributes } from '../attributes.js';
import type { EncodingCache } from '../core/features.js';
import { bestIndices } from '../core/ranking.js';
import { readModelIndex, readTarget } from '../format/model-directory.js';
import { indicatedColumn, missingIndicator, type ModelIndex } from '../format/model-index.js';
import { LoadedTarget } from './loaded-target.js';
import { ORIGINAL_SHAPE, originalShapePresenter, round, type Explanation } from './presenter.js';

/** Reads (and checks) the model directory: model.json, then each target's target.json and weights.bin. */
export async function loadPredictor(store: ArtifactStore): Promise<DatawigPredictor> {
  const index = await readModelIndex(store);
  const targets: LoadedTarget[] = [];
  for (const t of index.targets) {
    const { artifact, weights } = await readTarget(store, t.dir);
    targets.push(new LoadedTarget(artifact, weights));
  }
  return new DatawigPredictor(index, targets);
}

/** One request's settings, resolved once for the batch. */
interface RequestSettings {
  precision: number;
  topK: number;
  imputePresent: boolean;
  candidates: boolean;
  explain: boolean;
  /** Per target: the per-class probability thresholds (classification only). */
  thresholds: (Float64Array | undefined)[];
}

export class DatawigPredictor implements Predictor<DatawigAttributes> {
  readonly targets: readonly string[];
  readonly presenters: readonly Presenter<DatawigAttributes>[];
  readonly defaultPresenters = { document: ORIGINAL_SHAPE } as const;
  /** The models whose predictions are answered: single mode's one, complete mode's last round. */
  readonly loaded: LoadedTarget[];
  /** Complete mode: the rounds before the last, replayed to fill the gaps the last round sees. */
  private readonly earlier: LoadedTarget[][];
  /** The columns whose missing indicators later rounds read. */
  private readonly indicated: string[];
  private readonly missing: MissingValues;
  private readonly required: string[];

  /** `all`: every target model, in the order (and rounds) of index.targets. */
  constructor(
    readonly index: ModelIndex,
    all: LoadedTarget[],
  ) {
    this.missing = new MissingValues(index.missingTokens);
    const rounds: LoadedTarget[][] = [];
    all.forEach((t, i) => (rounds[(index.targets[i]?.round ?? 1) - 1] ??= []).push(t));
    this.loaded = rounds.pop()!;
    this.earlier = rounds;
    const needed = new Set<string>();
    const indicated = new Set<string>();
    for (const t of all)
      for (const c of t.featurizer.inputColumns) {
        const of = indicatedColumn(c);
        if (of === undefined) needed.add(c);
        else indicated.add(of);
      }
    this.required = [...needed];
    this.indicated = [...indicated];
    this.targets = this.loaded.map((t) => t.a.label);
    this.presenters = [originalShapePresenter(index.mode, new Map(this.loaded.map((t) => [t.a.label, t.a.task])))];
  }

  predict(batch: RecordBatch<InputRecord>, options: PredictOptions<DatawigAttributes>): PredictionBatch {
    requireColumns(this.required, batch.columns);
    const request = this.settings(options);
    const shift = options.attributes.label_shift ? this.labelShift(batch.records.map((r) => this.lastRoundInput(r))) : undefined;
    if (shift) options.logger.info('datawig: label shift', shift);
    const records = new Array<RecordPrediction>(batch.records.length);
    // No options.signal check: this loop is synchronous, so no timeout or disconnect can be observed
    // while it runs (and the framework does not call predict once the deadline has passed).
    for (let i = 0; i < batch.records.length; i++) records[i] = { targets: this.predictRecord(batch.records[i]!, request) };
    return shift ? { records, summary: { label_shift: shift } } : { records };
  }

  /** What one request asks, resolved once: defaults of the model, thresholds per target. */
  private settings(options: PredictOptions<DatawigAttributes>): RequestSettings {
    const a = options.attributes;
    const precision = a.precision_threshold ?? this.index.defaults.precision_threshold;
    return {
      precision,
      topK: a.top_k ?? this.index.defaults.top_k,
      imputePresent: a.impute_present,
      candidates: options.detail.candidates,
      explain: options.detail.explanations && a.explain,
      thresholds: this.loaded.map((t) => (t.a.task === 'classification' ? t.thresholdsFor(precision) : undefined)),
    };
  }

  private predictRecord(input: InputRecord, s: RequestSettings): TargetPrediction[] {
    const complete = this.index.mode === 'complete';
    // complete mode: the models of a row share its text encodings, across rounds too (text is never filled)
    const cache = complete ? (new Map() as EncodingCache) : undefined;
    let work: InputRecord | undefined; // replayed only for a row with something to predict
    const predicted = new Array<TargetPrediction>(this.loaded.length);
    for (let ti = 0; ti < this.loaded.length; ti++) {
      const t = this.loaded[ti]!;
      const label = t.a.label;
      const present = !this.missing.isMissing(input[label]);
      // Complete mode imputes gaps: a present cell is neither predicted nor shown.
      if (complete && present && !s.imputePresent) {
        predicted[ti] = { column: label, status: 'present', value: null };
        continue;
      }
      const asMissing = !present || s.imputePresent;
      // Explanations: encode once, tracing what the explanation needs.
      const explained = s.explain && t.a.task === 'classification' && t.featurizer.spec.text.length > 0;
      work ??= this.lastRoundInput(input, cache);
      const v = t.run(work, cache, explained);
      if (t.a.task === 'classification') predicted[ti] = this.classPrediction(t, s, s.thresholds[ti]!, asMissing, explained);
      else predicted[ti] = { column: label, status: asMissing ? 'imputed' : 'present', value: round(v, t.a.labelDecimals) };
    }
    return predicted;
  }

  /**
   * The row the last round's models read. Complete mode replays the earlier rounds as training
   * built them (fit/training-job.ts nextRoundRows): each round's models fill the raw row's gaps
   * (the value, or the most probable class: no threshold, the next round was trained on these),
   * reading the previous round's row, and the missing indicators come from the raw row.
   */
  private lastRoundInput(input: InputRecord, cache?: EncodingCache): InputRecord {
    let row = input;
    for (const models of this.earlier) {
      const next = copyRecord(input);
      for (const t of models) {
        const label = t.a.label;
        if (!this.missing.isMissing(input[label])) continue;
        const v = t.run(row, cache);
        setKey(next, label, t.a.task === 'regression' ? String(v) : t.a.classes[argmax(t.probs)]!);
      }
      for (const c of this.indicated) setKey(next, missingIndicator(c), this.missing.isMissing(input[c]) ? '1' : '0');
      row = next;
    }
    return row;
  }

  /** A class target's prediction from its last run: the best class, top-k candidates, explanation. */
  private classPrediction(t: LoadedTarget, s: RequestSettings, th: Float64Array, asMissing: boolean, explained: boolean): TargetPrediction {
    const probs = t.probs;
    const best = argmax(probs);
    const confident = probs[best]! >= th[best]!;
    const prediction: TargetPrediction = {
      column: t.a.label,
      status: !asMissing ? 'present' : confident ? 'imputed' : 'withheld',
      value: t.a.classes[best]!,
      probability: probs[best]!,
    };
    if (!s.candidates && !explained) return prediction;
    const order = bestIndices(probs, probs.length, s.topK, false);
    if (s.candidates) {
      prediction.candidates = order.filter((k) => s.precision <= 0 || probs[k]! >= th[k]!).map((k) => ({ value: t.a.classes[k]!, probability: probs[k]! }));
    }
    if (explained) {
      const k = order[0]!;
      prediction.explanation = { label: t.a.classes[k]!, tokens: t.explainLastRun(k, this.index.defaults.explain_tokens) } satisfies Explanation;
    }
    return prediction;
  }

  /**
   * DataWig's check_for_label_shift, by black-box shift estimation: the batch's predicted-label
   * distribution mu and the validation joint C = P(predicted, true) give weights w = C^-1 mu
   * (clipped at 0), i.e. the new label distribution w * p_train.
   */
  private labelShift(rows: InputRecord[]): DataRecord {
    const out: DataRecord = {};
    for (const t of this.loaded) {
      if (t.a.task !== 'classification' || !t.a.valJoint || !t.a.trainPrior) continue;
      const K = t.a.classes.length;
      const mu = new Float64Array(K);
      for (const r of rows) {
        t.run(r);
        mu[argmax(t.probs)] += 1 / rows.length;
      }
      const w = solve(t.a.valJoint, mu);
      const q = w.map((x, k) => Math.max(0, x) * t.a.trainPrior![k]!);
      const qs = q.reduce((a, b) => a + b, 0) || 1;
      let tv = 0;
      const dist = (arr: ArrayLike<number>) => Object.fromEntries(t.a.classes.map((c, k) => [c, round(arr[k]!)]));
      const est = q.map((x) => x / qs);
      est.forEach((x, k) => (tv += Math.abs(x - t.a.trainPrior![k]!) / 2));
      out[t.a.label] = {
        train_distribution: dist(t.a.trainPrior),
        predicted_distribution: dist(mu),
        estimated_distribution: dist(est),
        weights: dist(w.map((x) => Math.max(0, x))),
        total_variation: round(tv),
        shift_detected: tv > 0.1,
        rows: rows.length,
      };
    }
    return out;
  }

  dispose(): void {}
}

/** Gaussian elimination with partial pivoting and a small ridge (C can be near-singular). */
function solve(C: number[][], b: Float64Array): number[] {
  const K = b.length;
  const A = C.map((row, i) => [...row.map((v, j) => v + (i === j ? 1e-6 : 0)), b[i]!]);
  for (let c = 0; c < K; c++) {
    let p = c;
    for (let r = c + 1; r < K; r++) if (Math.abs(A[r]![c]!) > Math.abs(A[p]![c]!)) p = r;
    [A[c], A[p]] = [A[p]!, A[c]!];
    const d = A[c]![c]! || 1e-12;
    for (let r = 0; r < K; r++) {
      if (r === c) continue;
      const f = A[r]![c]! / d;
      for (let j = c; j <= K; j++) A[r]![j]! -= f * A[c]![j]!;
    }
  }
  return A.map((row, i) => row[K]! / (row[i]! || 1e-12));
}
