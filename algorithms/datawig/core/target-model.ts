/** One target model's per-row math (see TargetModel). */
import type { Cell, MissingValues } from '../../../framework/contract/index.js';
import type { FamilyMember, TargetArtifact } from '../format/target-artifact.js';
import type { Tensors } from '../format/weights.js';
import { softmaxInto } from './calibration.js';
import { EntryOrigins, Featurizer, SparseEntries, type EncodingCache } from './features.js';
import { predictRaw, type GbdtModel } from './gbdt-model.js';
import { stripMarkers } from './hashing.js';
import { applyJointWeighting, entryContributions, linearFromTensors, scoreEntries, type LinearModel } from './linear-model.js';
import { Net } from './net.js';
import { bestIndices, topTokens } from './ranking.js';
import { treeColumns, treeValue, type TreeColumn } from './tree-features.js';

/** A model from before families: the network alone. */
const NETWORK_ONLY: readonly FamilyMember[] = [{ family: 'network', weight: 1, temperature: 1 }];

/** The members of a target's prediction, as stored (or the network alone). */
export function membersOf(a: TargetArtifact): readonly FamilyMember[] {
  return a.members ?? NETWORK_ONLY;
}

/**
 * Raw scores of a tree model as K class logits (a logistic model's log-odds r become [0, r]) or
 * the one regression value, from raw[off..].
 */
export function treeScores(model: GbdtModel, raw: Float64Array, off: number, K: number, out: Float64Array): void {
  if (model.loss === 'logistic') {
    out[0] = 0;
    out[1] = raw[off]!;
  } else for (let k = 0; k < K; k++) out[k] = raw[off + k]!;
}

/** Which text n-grams an explanation reads: the network's gradient x input, or the linear model's weights. */
type Explainer = 'network' | 'linear' | undefined;

/**
 * A fitted target model answering one row at a time in plain typed-array math: its calibrated
 * class probabilities or regression value, and which text n-grams drove them. Its prediction is
 * one family's or a weighted ensemble's (format/target-artifact.ts). Serving runs it
 * (serve/loaded-target.ts), and so does training, for explanations and complete mode's rounds.
 */
export class TargetModel {
  readonly featurizer: Featurizer;
  readonly net: Net | undefined;
  readonly linear: LinearModel | undefined;
  private readonly trees: { model: GbdtModel; columns: TreeColumn[]; inputs: Float64Array[]; missing: MissingValues } | undefined;
  private readonly members: readonly FamilyMember[];
  /** The member whose n-grams explain a class: the heavier of the network and the linear model. */
  private readonly explainer: Explainer;
  private readonly entries = new SparseEntries();
  private readonly num: Float32Array;
  /** The linear model's copy of the entry values (its text weighting may differ from the network's). */
  private linearVal = new Float32Array(256);
  private readonly logits: Float64Array;
  private readonly memberScores: Float64Array;
  private readonly memberProbs: Float64Array;
  readonly probs: Float64Array;
  /** The last run's text entry origins and row, when it was traced (for explanations). */
  private readonly origins = new EntryOrigins();
  private traced: Record<string, Cell> | undefined;
  private scores = new Float64Array(256);

  constructor(
    readonly a: TargetArtifact,
    weights: Tensors,
  ) {
    this.featurizer = new Featurizer(a.featurizer);
    this.members = membersOf(a);
    const has = (f: FamilyMember['family']) => this.members.some((m) => m.family === f);
    this.net = has('network') ? new Net(a.net!, weights) : undefined;
    this.linear = has('linear') ? linearFromTensors(a.linear, weights, {}, `linear model of "${a.label}"`) : undefined;
    if (has('trees')) {
      const columns = treeColumns(a.featurizer);
      this.trees = { model: a.trees!, columns, inputs: columns.map(() => new Float64Array(1)), missing: this.featurizer.missing };
    }
    const weightOf = (f: FamilyMember['family']) => this.members.find((m) => m.family === f)?.weight ?? 0;
    this.explainer = has('network') && weightOf('network') >= weightOf('linear') ? 'network' : has('linear') ? 'linear' : undefined;
    const K = a.task === 'classification' ? a.classes.length : 1;
    this.num = new Float32Array(Math.max(1, a.featurizer.numDim));
    this.logits = new Float64Array(K);
    this.memberScores = new Float64Array(K);
    this.memberProbs = new Float64Array(K);
    this.probs = new Float64Array(K);
  }

  /** Whether explanations can name n-grams (a network or linear member and a text column). */
  get explains(): boolean {
    return this.explainer !== undefined && this.featurizer.spec.text.length > 0;
  }

  /**
   * Runs one row; afterwards `probs` holds calibrated class probabilities. Returns the regression
   * value for numeric targets. `traced`: remember where each text entry came from, for
   * explainLastRun (which must follow before the next run).
   */
  run(row: Record<string, Cell>, cache?: EncodingCache, traced = false): number {
    const entries = this.entries;
    entries.length = 0;
    this.origins.clear();
    this.traced = traced ? row : undefined;
    const jointLinear = this.linear?.spec.textWeighting === 'joint' && this.featurizer.spec.text.length > 1;
    if (this.net || this.linear) this.featurizer.encodeRow(row, entries, this.num, 0, traced || jointLinear ? this.origins : undefined, cache);
    const single = this.members.length === 1;
    const K = this.logits.length;
    if (!single) this.logits.fill(0);
    for (const m of this.members) {
      const out = single ? this.logits : this.memberScores;
      this.score(m, row, jointLinear, out);
      if (single) break;
      if (this.a.task === 'regression') this.logits[0]! += m.weight * out[0]!;
      else {
        softmaxInto(out, 0, K, m.temperature, this.memberProbs);
        for (let k = 0; k < K; k++) this.logits[k]! += m.weight * this.memberProbs[k]!;
      }
    }
    if (!single && this.a.task === 'classification') for (let k = 0; k < K; k++) this.logits[k] = Math.log(Math.max(this.logits[k]!, 1e-300));
    if (this.a.task === 'regression') return clampTo(this.a.labelRange, fromLabelScale(this.a, this.logits[0]!));
    softmaxInto(this.logits, 0, K, this.a.temperature, this.probs);
    return NaN;
  }

  /** One member's scores of the row just encoded: class logits, or the standardised value. */
  private score(m: FamilyMember, row: Record<string, Cell>, jointLinear: boolean, out: Float64Array): void {
    const e = this.entries;
    if (m.family === 'network') this.net!.forward(e.idx, e.val, 0, e.length, this.num, 0, out);
    else if (m.family === 'linear') scoreEntries(this.linear!, e.idx, this.linearValues(jointLinear), 0, e.length, this.num, 0, out);
    else if (m.family === 'trees') {
      const t = this.trees!;
      for (let c = 0; c < t.columns.length; c++) t.inputs[c]![0] = treeValue(t.columns[c]!, row[t.columns[c]!.name], t.missing);
      treeScores(t.model, predictRaw(t.model, t.inputs), 0, out.length, out);
    } else for (let k = 0; k < out.length; k++) out[k] = this.a.constant![k]!;
  }

  /** The entry values as the linear model reads them. */
  private linearValues(joint: boolean): Float32Array {
    const e = this.entries;
    if (!joint) return e.val;
    if (this.linearVal.length < e.length) this.linearVal = new Float32Array(2 * e.length);
    this.linearVal.set(e.val.subarray(0, e.length));
    applyJointWeighting(this.featurizer.spec.text.length, this.origins, this.linearVal, 0);
    return this.linearVal;
  }

  /** Text n-grams of a row with their contribution to class k's score relative to the mean class. */
  tokenContributions(row: Record<string, Cell>, k: number): [string, number][] {
    this.run(row, undefined, true);
    return this.namedContributions(this.scoresOfLastRun(k));
  }

  /**
   * The n text n-grams of the row just run with `traced` that most support class k relative to the
   * mean class, best first: what `topTokens(tokenContributions(row, k), n)` gives, naming only the
   * n-grams it reports when the model has one text column. None without a network or linear member.
   */
  explainLastRun(k: number, n: number): string[] {
    if (!this.explains) return [];
    const scores = this.scoresOfLastRun(k);
    // Several text columns may share an n-gram: sum its contributions by name.
    if (this.featurizer.spec.text.length > 1) return topTokens(this.namedContributions(scores), n);
    // One text column: its entries are distinct n-grams already (the featurizer merges repeats).
    const best = bestIndices(scores, this.origins.position.length, n, true);
    return stripMarkers(
      this.featurizer.ngramsOf(
        this.traced!,
        0,
        best.map((i) => this.origins.position[i]!),
      ),
    );
  }

  /** Contribution of each text entry of the last traced run (-Infinity for a missing cell's marker). */
  private scoresOfLastRun(k: number): Float64Array {
    if (!this.traced) throw new Error('explainLastRun needs the row run just before with traced = true');
    const { position } = this.origins;
    if (this.scores.length < position.length) this.scores = new Float64Array(2 * position.length);
    const scores = this.scores;
    if (this.explainer === 'linear') {
      const joint = this.linear!.spec.textWeighting === 'joint' && this.featurizer.spec.text.length > 1;
      entryContributions(this.linear!, this.entries.idx, this.linearValues(joint), 0, position.length, k, scores);
      for (let i = 0; i < position.length; i++) if (position[i]! < 0) scores[i] = -Infinity;
      return scores;
    }
    if (this.explainer !== 'network') return scores.fill(0, 0, position.length);
    const g = this.net!.relativeEmbeddingGradient(k);
    for (let i = 0; i < position.length; i++) {
      scores[i] = position[i]! < 0 ? -Infinity : this.net!.tokenScore(this.entries.idx[i]!, this.entries.val[i]!, g);
    }
    return scores;
  }

  /** (n-gram, contribution) of each named text entry of the last traced run. */
  private namedContributions(scores: Float64Array): [string, number][] {
    const row = this.traced!;
    const { column, position } = this.origins;
    const out: [string, number][] = [];
    for (let c = 0; c < this.featurizer.spec.text.length; c++) {
      const at: number[] = [];
      for (let i = 0; i < position.length; i++) if (column[i] === c && position[i]! >= 0) at.push(i);
      const names = this.featurizer.ngramsOf(
        row,
        c,
        at.map((i) => position[i]!),
      );
      at.forEach((i, j) => out.push([names[j]!, scores[i]!]));
    }
    return out;
  }
}

/** A standardised regression value in label units (undoing the log transform, if the labels had one). */
export function fromLabelScale(a: Pick<TargetArtifact, 'labelMean' | 'labelStd' | 'labelTransform'>, standardised: number): number {
  const v = standardised * a.labelStd + a.labelMean;
  return a.labelTransform === 'log' ? Math.expm1(v) : v;
}

/** v clamped to [lo, hi] when a range is given. */
export function clampTo(range: [number, number] | undefined, v: number): number {
  return range ? Math.min(range[1], Math.max(range[0], v)) : v;
}
