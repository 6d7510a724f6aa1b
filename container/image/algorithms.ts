/**
 * The algorithms built into this image: one registration line each. Teams with their own npm
 * package list it under `plugins:` in the YAML config instead.
 */
import type { AlgorithmProvider } from '../../framework/index.js';
import { BaselineAlgorithm } from '../../algorithms/baseline/index.js';
import { DatawigAlgorithm } from '../../algorithms/datawig/index.js';

export const builtInAlgorithms: readonly AlgorithmProvider[] = [BaselineAlgorithm, DatawigAlgorithm];
