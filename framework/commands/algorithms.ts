/** `byoc algorithms`: the registered algorithms and their hyperparameters. */
import type { AlgorithmRegistry } from '../algorithms/registry.js';
import { describeHyperparameter } from '../training/hyperparameters.js';

export function describeAlgorithms(registry: AlgorithmRegistry, defaultAlgorithm: string, json: boolean): string {
  const algorithms = registry.list();
  if (json) {
    return `${JSON.stringify(
      algorithms.map((a) => ({
        name: a.name,
        version: a.version,
        description: a.description,
        default: a.name === defaultAlgorithm,
        contentTypes: a.contentTypes ?? null,
        hyperparameters: a.hyperparameters,
      })),
      null,
      2,
    )}\n`;
  }
  const lines: string[] = [];
  for (const a of algorithms) {
    lines.push(`${a.name} ${a.version}${a.name === defaultAlgorithm ? '  (default)' : ''}`);
    lines.push(`  ${a.description}`);
    const entries = Object.entries(a.hyperparameters);
    const width = Math.max(0, ...entries.map(([k]) => k.length));
    for (const [key, spec] of entries) {
      lines.push(`    ${key.padEnd(width)}  ${describeHyperparameter(spec)}`);
      lines.push(`    ${' '.repeat(width)}  ${spec.description}`);
    }
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
