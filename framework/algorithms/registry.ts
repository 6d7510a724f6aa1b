/** The registered algorithms, by name, with validation of each plugin's declaration. */
import type { AnyAlgorithm } from '../contract/algorithm.js';
import type { AttributeSchema } from '../contract/parameters.js';
import { FRAMEWORK_ATTRIBUTES } from '../contract/framework-attributes.js';

/** What an algorithm may be called (and so what a manifest may name). */
export const ALGORITHM_NAME = /^[a-z][a-z0-9_-]{0,63}$/;

export class UnknownAlgorithmError extends Error {
  override readonly name = 'UnknownAlgorithmError';
}

export class AlgorithmRegistry {
  private readonly byName = new Map<string, AnyAlgorithm>();

  constructor(algorithms: readonly AnyAlgorithm[]) {
    for (const algorithm of algorithms) {
      if (!algorithm || typeof algorithm.train !== 'function' || typeof algorithm.load !== 'function') {
        throw new Error('an algorithm plugin must implement train(ctx) and load(ctx)');
      }
      if (!ALGORITHM_NAME.test(algorithm.name)) {
        throw new Error(`algorithm name "${algorithm.name}" is invalid: use lowercase letters, digits, "-" or "_"`);
      }
      const reserved = Object.keys((algorithm.attributes as AttributeSchema | undefined) ?? {}).filter((key) => Object.hasOwn(FRAMEWORK_ATTRIBUTES, key));
      if (reserved.length > 0) {
        throw new Error(`algorithm "${algorithm.name}" declares the custom attribute(s) ${reserved.join(', ')}, which the framework reserves`);
      }
      if (this.byName.has(algorithm.name)) throw new Error(`two algorithms are registered as "${algorithm.name}"`);
      this.byName.set(algorithm.name, algorithm);
    }
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  list(): AnyAlgorithm[] {
    return this.names().map((n) => this.byName.get(n)!);
  }

  get(name: string, purpose = 'requested'): AnyAlgorithm {
    const algorithm = this.byName.get(name);
    if (!algorithm) {
      throw new UnknownAlgorithmError(`unknown algorithm "${name}" (${purpose}); registered algorithms: ${this.names().join(', ') || 'none'}`);
    }
    return algorithm;
  }
}
