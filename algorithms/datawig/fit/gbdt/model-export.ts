/** Turns the bin-based trees of training into the model's plain-data trees with raw thresholds. */
import { GBDT_MODEL_FORMAT, type GbdtLoss, type GbdtModel, type GbdtTree } from '../../core/gbdt-model.js';
import { rawThreshold, type BinMapper } from './binning.js';
import type { BinnedTree } from './tree-grower.js';

function codesOf(bits: Uint32Array, count: number): number[] {
  const codes: number[] = [];
  for (let c = 0; c < count; c++) if (bits[c >>> 5]! & (1 << (c & 31))) codes.push(c);
  return codes;
}

export function exportTree(tree: BinnedTree, mapper: BinMapper): GbdtTree {
  const leaf = (node: number) => tree.feature[node]! < 0;
  return {
    feature: [...tree.feature],
    threshold: tree.feature.map((f, node) => (leaf(node) || mapper.categorical[f] ? 0 : rawThreshold(mapper, f, tree.bin[node]!))),
    missingLeft: [...tree.missingLeft],
    leftCategories: tree.categories.map((bits, node) => (bits && !leaf(node) ? codesOf(bits, mapper.categoryCount[tree.feature[node]!]!) : [])),
    left: [...tree.left],
    right: [...tree.right],
    value: [...tree.value],
    gain: [...tree.gain],
  };
}

export function exportModel(loss: GbdtLoss, mapper: BinMapper, baseline: number[], iterations: BinnedTree[][]): GbdtModel {
  return {
    format: GBDT_MODEL_FORMAT,
    loss,
    nFeatures: mapper.categorical.length,
    categorical: [...mapper.categorical],
    categoryCount: Array.from(mapper.categoryCount),
    nOutputs: baseline.length,
    baseline: [...baseline],
    iterations: iterations.map((trees) => trees.map((t) => exportTree(t, mapper))),
  };
}
