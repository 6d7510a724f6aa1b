/** `byoc algorithms`: the registered algorithms, their hyperparameters and request attributes. */
import type { AlgorithmRegistry } from '../algorithms/registry.js';
import type { Algorithm } from '../contract/algorithm.js';
import type { ParameterSchema } from '../contract/parameters.js';
import { TOKENS, type AlgorithmProvider } from '../contract/services.js';
import { requestAttributeSchema } from '../contract/framework-attributes.js';
import { describeParameter } from '../parameters/parse.js';
import { createCommandContext } from './context.js';

export async function algorithmsCommand(builtIn: readonly AlgorithmProvider[], json: boolean): Promise<string> {
  const { container, config } = await createCommandContext(builtIn, 'cli');
  return describeAlgorithms(container.get<AlgorithmRegistry>(TOKENS.AlgorithmRegistry), config.algorithm.default, json);
}

export function describeAlgorithms(registry: AlgorithmRegistry, defaultAlgorithm: string, json: boolean): string {
  // The registry holds plugins of any schema; here only the schemas' shared shape matters.
  const algorithms: readonly Algorithm[] = registry.list();
  if (json) {
    return `${JSON.stringify(
      algorithms.map((a) => ({
        name: a.name,
        version: a.version,
        description: a.description,
        default: a.name === defaultAlgorithm,
        contentTypes: a.contentTypes ?? null,
        hyperparameters: a.hyperparameters,
        attributes: requestAttributeSchema(a),
      })),
      null,
      2,
    )}\n`;
  }
  const lines: string[] = [];
  const section = (title: string, schema: ParameterSchema): void => {
    const entries = Object.entries(schema);
    if (entries.length === 0) return;
    lines.push(`  ${title}:`);
    const width = Math.max(0, ...entries.map(([k]) => k.length));
    for (const [key, spec] of entries) {
      lines.push(`    ${key.padEnd(width)}  ${describeParameter(spec)}`);
      lines.push(`    ${' '.repeat(width)}  ${spec.description}`);
    }
  };
  for (const a of algorithms) {
    lines.push(`${a.name} ${a.version}${a.name === defaultAlgorithm ? '  (default)' : ''}`);
    lines.push(`  ${a.description}`);
    section('hyperparameters', a.hyperparameters);
    section('custom attributes (X-Amzn-SageMaker-Custom-Attributes)', requestAttributeSchema(a));
    lines.push('');
  }
  return `${lines.join('\n')}\n`;
}
