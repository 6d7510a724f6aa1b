/** One target model's per-row math (see TargetModel). */
import type { Cell } from '../../../framework/contract/index.js';
import type { TargetArtifact } from '../format/target-artifact.js';
import { softmaxInto } from './calibration.js';
import { EntryOrigins, Featurizer, SparseEntries, type EncodingCache } from './features.js';
import { stripMarkers } from './hashing.js';
import { Net } from './net.js';
import { bestIndices, topTokens } from './ranking.js';

/**
 * A fitted target model answering one row at a time in plain typed-array math: its calibrated
 * class probabilities or regression value, and which text n-grams drove them. Serving runs it
 * (serve/loaded-target.ts), and so does training, for explanations and complete mode's rounds.
 */
export class TargetModel {
  readonly featurizer: Featurizer;
  readonly net: Net;
  private readonly entries = new SparseEntries();
  private readonly num: Float32Array;
  private readonly logits: Float64Array;
  readonly probs: Float64Array;
  /** The last run's text entry origins and row, when it was traced (for explanations). */
  private readonly origins = new EntryOrigins();
  private traced: Record<string, Cell> | undefined;
  private scores = new Float64Array(256);

  constructor(
    readonly a: TargetArtifact,
    weights: Map<string, Float32Array>,
  ) {
    this.featurizer = new Featurizer(a.featurizer);
    this.net = new Net(a.net, weights);
    this.num = new Float32Array(Math.max(1, a.net.numDim));
    this.logits = new Float64Array(a.net.outDim);
    this.probs = new Float64Array(a.net.outDim);
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
    this.featurizer.encodeRow(row, entries, this.num, 0, traced ? this.origins : undefined, cache);
    this.net.forward(entries.idx, entries.val, 0, entries.length, this.num, 0, this.logits);
    if (this.a.task === 'regression') return clampTo(this.a.labelRange, this.logits[0]! * this.a.labelStd + this.a.labelMean);
    softmaxInto(this.logits, 0, this.a.net.outDim, this.a.temperature, this.probs);
    return NaN;
  }

  /** Text n-grams of a row with their contribution to class k's score relative to the mean class. */
  tokenContributions(row: Record<string, Cell>, k: number): [string, number][] {
    this.run(row, undefined, true);
    return this.namedContributions(this.scoresOfLastRun(k));
  }

  /**
   * The n text n-grams of the row just run with `traced` that most support class k relative to the
   * mean class, best first: what `topTokens(tokenContributions(row, k), n)` gives, naming only the
   * n-grams it reports when the model has one text column.
   */
  explainLastRun(k: number, n: number): string[] {
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
    const g = this.net.relativeEmbeddingGradient(k);
    const { position } = this.origins;
    if (this.scores.length < position.length) this.scores = new Float64Array(2 * position.length);
    const scores = this.scores;
    for (let i = 0; i < position.length; i++) {
      scores[i] = position[i]! < 0 ? -Infinity : this.net.tokenScore(this.entries.idx[i]!, this.entries.val[i]!, g);
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

/** v clamped to [lo, hi] when a range is given. */
export function clampTo(range: [number, number] | undefined, v: number): number {
  return range ? Math.min(range[1], Math.max(range[0], v)) : v;
}
