/**
 * The files of a datawig model directory: `model.json` (format/model-index.ts) and, per target
 * model, `targets/<i>/target.json` and `targets/<i>/weights.bin`. What is read is checked
 * (format/validation.ts) before it is returned.
 */
import type { ArtifactStore } from '../../../framework/contract/index.js';
import { ModelFormatError } from './json-rules.js';
import type { ModelIndex } from './model-index.js';
import type { TargetArtifact } from './target-artifact.js';
import { checkWeightsLength, validateModelIndex, validateTargetArtifact } from './validation.js';
import { decodeWeights, encodeWeights } from './weights.js';

export const MODEL_INDEX_FILE = 'model.json';

/** The folder of the i-th target model. */
export function targetDir(i: number): string {
  return `targets/${i}`;
}

export function targetFiles(dir: string): { artifact: string; weights: string } {
  return { artifact: `${dir}/target.json`, weights: `${dir}/weights.bin` };
}

export async function writeModelIndex(store: ArtifactStore, index: ModelIndex): Promise<void> {
  await store.writeJson(MODEL_INDEX_FILE, index);
}

export async function writeTarget(store: ArtifactStore, dir: string, artifact: TargetArtifact, weights: Map<string, Float32Array>): Promise<void> {
  const files = targetFiles(dir);
  await store.writeJson(files.artifact, artifact);
  await store.writeFile(files.weights, encodeWeights(artifact, weights));
}

export async function readModelIndex(store: ArtifactStore): Promise<ModelIndex> {
  return validateModelIndex(await readJson(store, MODEL_INDEX_FILE), MODEL_INDEX_FILE);
}

export async function readTarget(store: ArtifactStore, dir: string): Promise<{ artifact: TargetArtifact; weights: Map<string, Float32Array> }> {
  const files = targetFiles(dir);
  const artifact = validateTargetArtifact(await readJson(store, files.artifact), files.artifact);
  const bytes = await store.readFile(files.weights);
  checkWeightsLength(artifact, bytes.byteLength, files.weights, files.artifact);
  return { artifact, weights: decodeWeights(artifact, bytes) };
}

async function readJson(store: ArtifactStore, file: string): Promise<unknown> {
  const text = await store.readText(file);
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new ModelFormatError(file, `not valid JSON (${(error as Error).message})`);
  }
}
