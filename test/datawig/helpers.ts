/** Small generated tables for the datawig tests (seeded, so every run sees the same data). */
import type { InputRecord, Table } from '../../framework/contract/index.js';
import { rng } from '../../algorithms/datawig/core/rng.js';
import { datawigHyperparameters, type DatawigHyperparameters } from '../../algorithms/datawig/hyperparameters.js';

/** Hyperparameters as the framework would hand them over: defaults applied, then overrides. */
export function hp(overrides: Partial<DatawigHyperparameters> = {}): DatawigHyperparameters {
  const out: Record<string, unknown> = {};
  for (const [k, spec] of Object.entries(datawigHyperparameters)) if ('default' in spec) out[k] = spec.default;
  return { ...(out as DatawigHyperparameters), ...overrides };
}

export const SIGNAL: Record<string, string[]> = {
  sports: ['goal', 'striker', 'league'],
  tech: ['software', 'laptop', 'processor'],
  food: ['recipe', 'spicy', 'dessert'],
};
const FILLER = Array.from({ length: 300 }, (_, i) => `w${i.toString(36)}`);

/** Text rows whose class shows in planted signal words, plus a categorical and a numeric column. */
export function textTable(n: number, seed = 1, noise = 0): Table {
  const r = rng(seed);
  const classes = Object.keys(SIGNAL);
  const records: InputRecord[] = [];
  for (let i = 0; i < n; i++) {
    const c = classes[Math.floor(r() * classes.length)]!;
    const words: string[] = [];
    for (let k = 0; k < 20; k++) words.push(FILLER[Math.floor(r() * FILLER.length)]!);
    for (let k = 0; k < 3; k++) words.splice(Math.floor(r() * words.length), 0, SIGNAL[c]![Math.floor(r() * 3)]!);
    const label = r() < noise ? classes[Math.floor(r() * classes.length)]! : c;
    records.push({ text: words.join(' '), color: ['red', 'green', 'blue'][Math.floor(r() * 3)]!, size: (r() * 10).toFixed(3), label });
  }
  return { columns: ['text', 'color', 'size', 'label'], records };
}

/** Numeric/categorical table with dependencies between columns and gaps (for complete mode). */
export function mixedTable(n: number, seed = 2, gapRate = 0.15): Table {
  const r = rng(seed);
  const records: InputRecord[] = [];
  for (let i = 0; i < n; i++) {
    const x = r() * 10;
    const kind = x < 3.3 ? 'low' : x < 6.6 ? 'mid' : 'high';
    const y = 2 * x + (r() - 0.5);
    const shape = r() < 0.5 ? 'round' : 'square';
    const code = `${shape === 'round' ? 'R' : 'S'}-${Math.floor(r() * 100)}`;
    const rec: InputRecord = { x: x.toFixed(3), kind, y: y.toFixed(3), shape, code };
    for (const c of ['kind', 'y', 'shape'] as const) if (r() < gapRate) rec[c] = '';
    records.push(rec);
  }
  return { columns: ['x', 'kind', 'y', 'shape', 'code'], records };
}
