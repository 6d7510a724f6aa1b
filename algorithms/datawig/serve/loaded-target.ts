/** A target model as serving holds it: the per-row math plus the request-time precision thresholds. */
import { thresholdFor } from '../core/calibration.js';
import { TargetModel } from '../core/target-model.js';

export class LoadedTarget extends TargetModel {
  private readonly thresholds = new Map<number, Float64Array>();

  /** Per-class probability thresholds that reach the requested validation precision. */
  thresholdsFor(precision: number): Float64Array {
    let t = this.thresholds.get(precision);
    if (!t) {
      t = Float64Array.from(this.a.classes, (_, k) => (this.a.curves ? thresholdFor(this.a.curves, k, precision) : 0));
      if (this.thresholds.size > 100) this.thresholds.clear();
      this.thresholds.set(precision, t);
    }
    return t;
  }
}
