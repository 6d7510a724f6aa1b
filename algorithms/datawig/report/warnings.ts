/** What a target model's validation figures say is worth acting on, in words. */
import type { TargetArtifact } from '../format/target-artifact.js';

/** Fewer validation rows than this give metrics too rough to compare models by. */
export const MIN_VALIDATION_ROWS = 50;

/** A stored metric, or undefined when absent or not a number (NaN is stored as null). */
export function metric(a: TargetArtifact, name: string): number | undefined {
  const v = a.metrics[name] as number | null | undefined;
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}

const fixed = (x: number): string => x.toFixed(3);

export function targetWarnings(a: TargetArtifact): string[] {
  const out: string[] = [];
  const rows = metric(a, 'validation_rows');
  if (rows !== undefined && rows < MIN_VALIDATION_ROWS)
    out.push(
      `The validation set is too small (${rows} rows, fewer than ${MIN_VALIDATION_ROWS}): its metrics are rough; add labelled rows or a validation channel.`,
    );
  if (a.family === 'constant')
    out.push('No model was learnt: too few labelled rows or a single class, so the constant fallback (the most frequent class / the mean) serves.');
  const accuracy = metric(a, 'accuracy');
  const majority = a.diagnostics?.majorityAccuracy;
  if (accuracy !== undefined && majority !== undefined && accuracy < majority)
    out.push(`Accuracy (${fixed(accuracy)}) is below the majority class's (${fixed(majority)}): always answering "${a.classes[0]}" would do better.`);
  const rmse = metric(a, 'rmse');
  const meanRmse = metric(a, 'rmse_mean_baseline');
  if (rmse !== undefined && meanRmse !== undefined && rmse >= meanRmse)
    out.push(`The RMSE (${fixed(rmse)}) is no better than predicting the mean (${fixed(meanRmse)}).`);
  const best = metric(a, 'best_epoch');
  if (best !== undefined && a.history.length > 1 && best === a.history.length)
    out.push(`The best epoch is the last one (${best}): the validation loss was still falling when training stopped; more epochs (num_epochs) may help.`);
  const [eceBefore, eceAfter] = [metric(a, 'ece_before'), metric(a, 'ece')];
  if (eceBefore !== undefined && eceAfter !== undefined && eceAfter > eceBefore + 1e-9)
    out.push(`Calibration made it worse: the expected calibration error rose from ${fixed(eceBefore)} to ${fixed(eceAfter)} on the validation rows.`);
  const [lossBefore, lossAfter] = [a.diagnostics?.lossUncalibrated, metric(a, 'loss_calibrated')];
  if (lossBefore !== undefined && lossAfter !== undefined && lossAfter > lossBefore + 1e-9)
    out.push(`Calibration made the validation log-loss worse: ${fixed(lossBefore)} before, ${fixed(lossAfter)} after.`);
  return out;
}
