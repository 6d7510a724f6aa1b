/** The registered algorithms, by name, with validation of each plugin's declaration. */
import type { Algorithm } from '../contract/algorithm.js';

const NAME = /^[a-z][a-z0-9_-]{0,63}$/;

export class UnknownAlgorithmError extends Error {
  override readonly name = 'UnknownAlgorithmError';
}

export class AlgorithmRegistry {
  private readonly byName = new Map<string, Algorithm>();

  constructor(algorithms: readonly Algorithm[]) {
    for (const algorithm of algorithms) {
      if (!algorithm || typeof algorithm.train !== 'function' || typeof algorithm.load !== 'function') {
        throw new Error('an algorithm plugin must implement train(ctx) and load(ctx)');
      }
      if (!NAME.test(algorithm.name)) {
        throw new Error(`algorithm name "${algorithm.name}" is invalid: use lowercase letters, digits, "-" or "_"`);
      }
      if (this.byName.has(algorithm.name)) throw new Error(`two algorithms are registered as "${algorithm.name}"`);
      this.byName.set(algorithm.name, algorithm);
    }
  }

  names(): string[] {
    return [...this.byName.keys()].sort();
  }

  list(): Algorithm[] {
    return this.names().map((n) => this.byName.get(n)!);
  }

  get(name: string, purpose = 'requested'): Algorithm {
    const algorithm = this.byName.get(name);
    if (!algorithm) {
      throw new UnknownAlgorithmError(
        `unknown algorithm "${name}" (${purpose}); registered algorithms: ${this.names().join(', ') || 'none'}`,
      );
    }
    return algorithm;
  }
}
