/**
 * A target's training progress for the job's display: one unit per model family being fitted
 * (`price · network`, `price · round 2 · trees`), a step per epoch or boosting round, with the
 * losses and where early stopping stands.
 */
import type { ProgressReporter } from '../../../framework/contract/index.js';
import type { ModelFamily } from '../format/target-artifact.js';

/** Where a fit reports to, and the name of what it fits (the column, its round or candidate). */
export interface FitProgress {
  reporter: ProgressReporter;
  unit: string;
}

/** One epoch (network, linear) or boosting round (trees), after early stopping has looked at it. */
export interface TrainingStep {
  step: number;
  total: number;
  trainLoss: number;
  /** NaN without validation rows. */
  valLoss: number;
  /** The step whose model is kept so far, and how many steps since it did not count as better. */
  bestStep: number;
  sinceBest: number;
  /** Steps without a gain that stop training. */
  patience: number;
}

export type StepListener = (step: TrainingStep) => void;

/** The same progress one level down: `unit · part`. */
export function progressOf(p: FitProgress | undefined, part: string): FitProgress | undefined {
  return p && { reporter: p.reporter, unit: `${p.unit} · ${part}` };
}

/** Reports each step of one family's fit as its unit; none without a display. */
export function familySteps(p: FitProgress | undefined, family: ModelFamily): StepListener | undefined {
  if (!p) return undefined;
  const unit = `${p.unit} · ${family}`;
  const word = family === 'trees' ? 'round' : 'epoch';
  return (s) =>
    p.reporter.update({
      unit,
      step: s.step,
      total: s.total,
      figures: Number.isFinite(s.valLoss) ? { loss: s.trainLoss, val_loss: s.valLoss } : { loss: s.trainLoss },
      status: `best ${word} ${s.bestStep}, patience ${s.sinceBest}/${s.patience}`,
    });
}

/** The family's fit starts: its bar appears at 0 of `total` steps. */
export function familyStarted(p: FitProgress | undefined, family: ModelFamily, total: number): void {
  p?.reporter.update({ unit: `${p.unit} · ${family}`, step: 0, total, status: 'starting' });
}

/** The family's fit is done: its line says how it ended. */
export function familyFinished(p: FitProgress | undefined, family: ModelFamily, summary: string): void {
  p?.reporter.finish(`${p.unit} · ${family}`, summary);
}
