/**
 * The files of a datawig model directory: `model.json` (format/model-index.ts) and, per target
 * model, `targets/<i>/target.json` and `targets/<i>/weights.bin` (its tensors: the network's and the
 * linear model's, when they are members). What is read is checked
 * (format/validation.ts) before it is returned.
 */
import type { ArtifactStore } from '../../../framework/contract/index.js';
import { ModelFormatError } from './json-rules.js';
import type { ModelIndex } from './model-index.js';
import type { TargetArtifact } from './target-artifact.js';
import { checkWeightsFinite, checkWeightsLength, expectedWeightsBytes, validateModelIndex, validateTargetArtifact } from './validation.js';
import { decodeWeights, encodeWeights, type Tensors } from './weights.js';

export const MODEL_INDEX_FILE = 'model.json';
/** Read caps: a bigger file is refused before it is read (a model directory is untrusted input). */
const MAX_INDEX_BYTES = 16 * 1024 * 1024;
const MAX_TARGET_BYTES = 256 * 1024 * 1024;

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

export async function writeTarget(store: ArtifactStore, dir: string, artifact: TargetArtifact, weights: Tensors): Promise<void> {
  const files = targetFiles(dir);
  await store.writeJson(files.artifact, artifact);
  await store.writeFile(files.weights, encodeWeights(artifact, weights));
}

export async function readModelIndex(store: ArtifactStore): Promise<ModelIndex> {
  return validateModelIndex(await readJson(store, MODEL_INDEX_FILE, MAX_INDEX_BYTES), MODEL_INDEX_FILE);
}

/** Reads and checks one target's `target.json` alone (what a report needs; its weights stay unread). */
export async function readTargetArtifact(store: ArtifactStore, dir: string): Promise<TargetArtifact> {
  const file = targetFiles(dir).artifact;
  return validateTargetArtifact(await readJson(store, file, MAX_TARGET_BYTES), file);
}

/**
 * Reads and checks one target model. `weights.bin` is read only after `target.json` is checked, with
 * the size its network needs as the cap: a bigger (or sparse) file is refused before it is read.
 */
export async function readTarget(store: ArtifactStore, dir: string): Promise<{ artifact: TargetArtifact; weights: Tensors }> {
  const files = targetFiles(dir);
  const artifact = await readTargetArtifact(store, dir);
  const expected = expectedWeightsBytes(artifact);
  let bytes: Uint8Array;
  try {
    bytes = await store.readFile(files.weights, expected);
  } catch (error) {
    throw new ModelFormatError(files.weights, `${storeProblem(error, files.weights)} (the network of ${files.artifact} needs ${expected} bytes)`);
  }
  checkWeightsLength(artifact, bytes.byteLength, files.weights, files.artifact);
  const weights = decodeWeights(artifact, bytes);
  checkWeightsFinite(weights, files.weights);
  return { artifact, weights };
}

async function readJson(store: ArtifactStore, file: string, maxBytes: number): Promise<unknown> {
  try {
    // The store refuses links, FIFOs and devices, caps the size, and its JSON errors give a position, never the text.
    return await store.readJson(file, maxBytes);
  } catch (error) {
    throw new ModelFormatError(file, storeProblem(error, file));
  }
}

/** The store's message without its own `artifact "<file>" ` prefix (the ModelFormatError names the file). */
function storeProblem(error: unknown, file: string): string {
  const message = error instanceof Error ? error.message : String(error);
  const prefix = `artifact "${file}" `;
  return message.startsWith(prefix) ? message.slice(prefix.length).replace(/^is /, '') : message;
}
