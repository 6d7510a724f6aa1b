/** Serving: decoded request batches in, one output record per input record out. */
import { copyRecord, RequestError, setKey, type ArtifactStore, type DataRecord, type InputRecord, type PredictOptions, type Predictor, type RecordBatch } from '../../../framework/contract/index.js';
import { MissingSpec } from '../core/columns.js';
import type { EncodingCache } from '../core/features.js';
import { bestIndices } from '../core/ranking.js';
import { readModelIndex, readTarget } from '../format/model-directory.js';
import type { ModelIndex } from '../format/model-index.js';
import { LoadedTarget } from './loaded-target.js';

interface RequestSettings {
  precision: number;
  topK: number;
  explain: boolean;
  imputePresent: boolean;
  labelShift: boolean;
}

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

export class DatawigPredictor implements Predictor {
  private readonly missing: MissingSpec;
  private readonly required: string[];
  /** Per target: the CSV output columns (value, probability), built once. */
  private readonly outputKeys: [string, string][];

  constructor(
    /** model.json (the property keeps its former name: predict() and the load log read it). */
    readonly manifest: ModelIndex,
    readonly targets: LoadedTarget[],
  ) {
    this.missing = new MissingSpec(manifest.missingTokens);
    const needed = new Set<string>();
    for (const t of targets) for (const c of t.featurizer.inputColumns) needed.add(c);
    this.required = [...needed];
    this.outputKeys = targets.map((t) => [`${t.a.label}_imputed`, `${t.a.label}_imputed_proba`]);
  }

  predict(batch: RecordBatch<InputRecord>, options: PredictOptions): RecordBatch<DataRecord> {
    const s = this.settings(options.customAttributes);
    const have = new Set(batch.columns);
    for (const c of this.required) {
      if (!have.has(c)) throw new RequestError(`the request lacks column "${c}", which the model needs (required: ${this.required.join(', ')})`);
    }
    const csv = options.accept.toLowerCase().startsWith('text/csv');
    const complete = this.manifest.mode === 'complete';
    const shift = s.labelShift ? this.labelShift(batch.records) : undefined;
    if (shift && csv) options.logger.info('datawig: label shift', shift);
    const records: DataRecord[] = new Array(batch.records.length);
    // Per target, once per request: the precision thresholds.
    const thresholds = this.targets.map((t) => (t.a.task === 'classification' ? t.thresholdsFor(s.precision) : undefined));
    // No options.signal check: this loop is synchronous, so no timeout or disconnect can be observed
    // while it runs (and the framework does not call predict once the deadline has passed).
    for (let i = 0; i < batch.records.length; i++) {
      const input = batch.records[i]!;
      // complete mode fills columns in order, later models seeing earlier imputations
      const work: InputRecord = complete ? copyRecord(input) : input;
      const out: DataRecord = csv ? copyRecord(input) : {};
      const json: DataRecord[] = [];
      const cache = complete ? new Map() as EncodingCache : undefined;
      for (let ti = 0; ti < this.targets.length; ti++) {
        const t = this.targets[ti]!;
        const label = t.a.label;
        const present = !this.missing.isMissing(input[label]);
        if (complete && !csv && present && !s.imputePresent) continue;
        // JSON with explanations: encode once, tracing what the explanation needs.
        const explained = !csv && s.explain && t.a.task === 'classification' && t.featurizer.spec.text.length > 0;
        const v = t.run(work, cache, explained);
        let best = -1;
        let bestP = 0;
        let confident = true;
        if (t.a.task === 'classification') {
          best = argmax(t.probs);
          bestP = t.probs[best]!;
          confident = bestP >= thresholds[ti]![best]!;
          if (complete && !present && confident) setKey(work, label, t.a.classes[best]!);
        } else if (complete && !present) setKey(work, label, String(v));
        if (csv) {
          const [imputedKey, probaKey] = this.outputKeys[ti]!;
          const show = !present || s.imputePresent;
          if (t.a.task === 'classification') {
            out[imputedKey] = show && confident ? t.a.classes[best]! : '';
            out[probaKey] = show ? round(bestP) : '';
          } else {
            out[imputedKey] = show ? round(v) : '';
            out[probaKey] = '';
          }
        } else {
          json.push(this.jsonFor(t, v, s, thresholds[ti], explained));
        }
      }
      if (!csv) {
        if (complete) out.imputations = json;
        else Object.assign(out, json[0]);
        if (shift) out.label_shift = shift;
      }
      records[i] = out;
    }
    let columns: string[];
    if (csv) columns = [...batch.columns, ...this.outputKeys.flat()];
    else {
      // JSON: the keys the records carry, in first-seen order
      const keys = new Set<string>();
      for (const r of records) for (const k of Object.keys(r)) keys.add(k);
      columns = [...keys];
    }
    return { columns, records };
  }

  /**
   * The original container's record shape (run() has just been called for this row, traced when
   * `explained`; `th`: its precision thresholds, classification only).
   */
  private jsonFor(t: LoadedTarget, v: number, s: RequestSettings, th: Float64Array | undefined, explained: boolean): DataRecord {
    if (t.a.task === 'regression') return { label_column: t.a.label, predicted: round(v) };
    const probs = t.probs;
    const order = bestIndices(probs, probs.length, s.topK, false);
    const predictions = order.filter((k) => s.precision <= 0 || probs[k]! >= th![k]!).map((k) => ({ predicted: t.a.classes[k]!, predicted_probability: round(probs[k]!) }));
    const rec: DataRecord = { label_column: t.a.label, predictions };
    if (explained) {
      const k = order[0]!;
      rec.prediction_explanations = [{ explained_label: t.a.classes[k]!, tokens: t.explainLastRun(k, this.manifest.defaults.explain_tokens) }];
    }
    return rec;
  }

  private settings(attrs: Readonly<Record<string, string>>): RequestSettings {
    const d = this.manifest.defaults;
    const num = (name: string, lo: number, hi: number, int: boolean): number | undefined => {
      const raw = attrs[name];
      if (raw === undefined) return undefined;
      const v = Number(raw.trim());
      if (raw.trim() === '' || !Number.isFinite(v) || v < lo || v > hi || (int && !Number.isInteger(v))) {
        throw new RequestError(`custom attribute ${name}="${raw}" is invalid: expected ${int ? 'an integer' : 'a number'} from ${lo} to ${hi}`);
      }
      return v;
    };
    const bool = (name: string, dflt: boolean): boolean => {
      const raw = attrs[name];
      if (raw === undefined) return dflt;
      const v = raw.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(v)) return true;
      if (['false', '0', 'no'].includes(v)) return false;
      throw new RequestError(`custom attribute ${name}="${raw}" is invalid: expected true or false`);
    };
    return {
      precision: num('precision_threshold', 0, 1, false) ?? d.precision_threshold,
      topK: num('top_k', 1, 1000, true) ?? d.top_k,
      explain: bool('explain', true),
      imputePresent: bool('impute_present', false),
      labelShift: bool('label_shift', false),
    };
  }

  /**
   * DataWig's check_for_label_shift, by black-box shift estimation: the batch's predicted-label
   * distribution mu and the validation joint C = P(predicted, true) give weights w = C^-1 mu
   * (clipped at 0), i.e. the new label distribution w * p_train.
   */
  private labelShift(rows: InputRecord[]): DataRecord {
    const out: DataRecord = {};
    for (const t of this.targets) {
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

function argmax(p: Float64Array): number {
  let a = 0;
  for (let k = 1; k < p.length; k++) if (p[k]! > p[a]!) a = k;
  return a;
}

function round(x: number): number {
  return Math.round(x * 1e4) / 1e4;
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
