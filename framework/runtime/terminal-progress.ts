/**
 * The live progress display of `byoc train` on a terminal: one bar per unit being trained (epoch
 * n / max, the losses, where early stopping stands, an estimate of the time left), drawn on stderr
 * by cli-progress. Log lines written meanwhile appear above the bars; a finished unit leaves one
 * line saying how it ended.
 */
import cliProgress from 'cli-progress';
import type { Progress, ProgressReporter } from '../contract/progress.js';
import { printable } from '../report/terminal-text.js';

/** Where text log lines go (the text logger writes through it). */
export interface TerminalLines {
  /** One or more whole lines, newline included. */
  write(text: string): void;
  flush(): void;
}

interface BarPayload {
  unit: string;
  figures: string;
  status: string;
}

/** Redraws per second: enough to look live, few enough not to cost the training anything. */
const FRAMES_PER_SECOND = 4;

export class TerminalProgress implements ProgressReporter, TerminalLines {
  /** The bars being drawn; none: nothing is being drawn, and lines are written straight away. */
  private bars: cliProgress.MultiBar | undefined;
  private readonly units = new Map<string, cliProgress.SingleBar>();

  constructor(private readonly stream: NodeJS.WriteStream = process.stderr) {}

  update(p: Progress): void {
    const payload: BarPayload = { unit: printable(p.unit), figures: figuresText(p.figures), status: p.status ? printable(p.status) : '' };
    const total = Math.max(1, p.total);
    let bar = this.units.get(p.unit);
    if (!bar) {
      bar = this.multiBar().create(total, 0, payload);
      this.units.set(p.unit, bar);
    } else if (bar.getTotal() !== total) bar.setTotal(total);
    bar.update(Math.min(p.step, total), payload);
  }

  finish(unit: string, summary?: string): void {
    const bar = this.units.get(unit);
    if (bar) {
      this.units.delete(unit);
      this.bars!.remove(bar);
    }
    this.write(`✓ ${printable(unit)}${summary ? `: ${printable(summary)}` : ''}\n`);
    if (this.units.size === 0) this.stopBars();
  }

  write(text: string): void {
    if (this.bars) this.bars.log(text);
    else this.stream.write(text);
  }

  flush(): void {
    // cli-progress writes its log lines with the next frame: draw it now
    this.bars?.update();
  }

  /** Ends the display (the bars of units that did not finish stay as they were last drawn). */
  stop(): void {
    this.units.clear();
    this.stopBars();
  }

  private multiBar(): cliProgress.MultiBar {
    this.bars ??= new cliProgress.MultiBar(
      {
        stream: this.stream,
        format: formatBar,
        fps: FRAMES_PER_SECOND,
        etaBuffer: 4,
        hideCursor: true,
        clearOnComplete: false,
        stopOnComplete: false,
        barsize: 20,
        // the job's own SIGTERM handling decides when it ends
        gracefulExit: false,
      },
      cliProgress.Presets.shades_classic,
    );
    return this.bars;
  }

  private stopBars(): void {
    const bars = this.bars;
    this.bars = undefined;
    // stop() draws the bars but not the lines logged since the last frame
    bars?.update();
    bars?.stop();
  }
}

function figuresText(figures: Progress['figures']): string {
  if (!figures) return '';
  return Object.entries(figures)
    .map(([k, v]) => `${printable(k)} ${Number.isFinite(v) ? Number(v.toPrecision(4)) : String(v)}`)
    .join('  ');
}

/** `price · network  [=====-----]  7/20  loss 0.41  val_loss 0.44  best epoch 5, patience 2/3  ETA ≤ 12s` */
const formatBar: cliProgress.GenericFormatter = (options, params, payload: BarPayload) => {
  const bar = cliProgress.Format.BarFormat(params.progress, options);
  // an early stop may end a unit before its last step: the estimate is an upper bound
  const eta = params.value >= params.total ? '' : `ETA ≤ ${cliProgress.Format.TimeFormat(params.eta, options, 1)}`;
  return [payload.unit, bar, `${params.value}/${params.total}`, payload.figures, payload.status, eta].filter((s) => s !== '').join('  ');
};
