/**
 * Injection tokens of the framework's services, and how a plugin declares how it is built.
 *
 * Algorithms live in the framework's inversify container (framework/composition.ts). A plugin
 * class may ask for services in its constructor with `@inject(TOKENS.Logger)` (and `@injectable()`
 * from inversify); a factory receives a resolver. Which kind a provider is, is declared (the
 * `algorithmFactory` marker), never guessed from the function.
 */
import type { AnyAlgorithm } from './algorithm.js';

export const TOKENS = {
  /** The validated framework configuration (`FrameworkConfig`). */
  Config: Symbol.for('byoc.Config'),
  /** The process's `Logger`. */
  Logger: Symbol.for('byoc.Logger'),
  /** The training job's `MetricEmitter`. */
  Metrics: Symbol.for('byoc.Metrics'),
  /** The SageMaker folder layout (`SageMakerPaths`), when the command has one. */
  Paths: Symbol.for('byoc.Paths'),
  /** Every registered `Algorithm` (multi-injection). */
  Algorithm: Symbol.for('byoc.Algorithm'),
  AlgorithmRegistry: Symbol.for('byoc.AlgorithmRegistry'),
  Codecs: Symbol.for('byoc.Codecs'),
  Presenters: Symbol.for('byoc.Presenters'),
  InvocationPipeline: Symbol.for('byoc.InvocationPipeline'),
  /** The model folder a serving command hosts. */
  ModelDir: Symbol.for('byoc.ModelDir'),
  ModelHost: Symbol.for('byoc.ModelHost'),
} as const;

/** Looks up a framework service by token (what a factory receives). */
export interface ServiceResolver {
  get<T>(token: symbol): T;
}

const FACTORY = Symbol.for('byoc.AlgorithmFactory');

/** A function that builds an algorithm, marked by `algorithmFactory`. */
export interface AlgorithmFactory {
  (services: ServiceResolver): AnyAlgorithm;
  readonly [FACTORY]: true;
}

/** A class; its constructor may inject services (inversify `@injectable()` + `@inject(TOKENS.…)`). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AlgorithmClass = new (...args: any[]) => AnyAlgorithm;

/** One registration: an instance, a class, or a marked factory. */
export type AlgorithmProvider = AnyAlgorithm | AlgorithmClass | AlgorithmFactory;

/** Marks a function as a factory of an algorithm (an unmarked function is taken for a class). */
export function algorithmFactory(build: (services: ServiceResolver) => AnyAlgorithm): AlgorithmFactory {
  const factory = ((services: ServiceResolver) => build(services)) as AlgorithmFactory;
  Object.defineProperty(factory, FACTORY, { value: true });
  return factory;
}

export function isAlgorithmFactory(provider: unknown): provider is AlgorithmFactory {
  return typeof provider === 'function' && (provider as Partial<AlgorithmFactory>)[FACTORY] === true;
}
