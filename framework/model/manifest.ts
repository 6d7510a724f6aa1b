/**
 * The model manifest (`manifest.json` in the model dir): written by training, read by serving to
 * pick the algorithm. Serving never trusts hyperparameters for that choice.
 */
import type { ArtifactStore } from '../contract/algorithm.js';
import type { InputSchema } from '../contract/records.js';
import type { TrainingRecord } from '../contract/report.js';
import * as z from 'zod/mini';
import { ALGORITHM_NAME } from '../algorithms/registry.js';
import { formatIssues } from '../runtime/schema.js';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 1;
/** The manifest is small; a bigger file is refused before it is read. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

const nonEmpty = () => z.string().check(z.minLength(1));

const ManifestSchema = z.object({
  format: z.literal(MANIFEST_FORMAT),
  // The registry's naming rule: an error about an unknown algorithm then quotes no arbitrary text.
  algorithm: z.object({ name: z.string().check(z.regex(ALGORITHM_NAME)), version: nonEmpty() }),
  framework: z.object({ name: z.string(), version: z.string() }),
  // absent on a multi-host job: every host must be able to write the same bytes
  createdAt: z.optional(nonEmpty()),
  inputSchema: z.object({
    columns: z.array(z.object({ name: z.string(), type: z.optional(z.enum(['numeric', 'categorical', 'text', 'unknown'])) })),
    requiredColumns: z.array(z.string()),
  }),
  hyperparameters: z.record(z.string(), z.unknown()),
  metrics: z.optional(z.record(z.string(), z.number())),
});

export type ModelManifest = z.infer<typeof ManifestSchema>;

export class ManifestError extends Error {
  override readonly name = 'ManifestError';
}

export function createManifest(input: {
  algorithm: { name: string; version: string };
  framework: { name: string; version: string };
  inputSchema: InputSchema;
  hyperparameters: Record<string, unknown>;
  metrics?: Record<string, number>;
  now?: Date;
  /**
   * A multi-host job: the manifest then holds only what every host computes alike (no created-at,
   * no metrics), so it is the same bytes whichever host writes it.
   */
  multiHost?: boolean;
}): ModelManifest {
  if (input.multiHost)
    return {
      format: MANIFEST_FORMAT,
      algorithm: input.algorithm,
      framework: input.framework,
      inputSchema: input.inputSchema,
      hyperparameters: input.hyperparameters,
    };
  return {
    format: MANIFEST_FORMAT,
    algorithm: input.algorithm,
    framework: input.framework,
    createdAt: (input.now ?? new Date()).toISOString(),
    inputSchema: input.inputSchema,
    hyperparameters: input.hyperparameters,
    ...(input.metrics ? { metrics: input.metrics } : {}),
  };
}

export async function writeManifest(store: ArtifactStore, manifest: ModelManifest): Promise<void> {
  await store.writeJson(MANIFEST_FILE, manifest);
}

export async function readManifest(store: ArtifactStore, where: string): Promise<ModelManifest> {
  if (!(await store.exists(MANIFEST_FILE))) {
    throw new ManifestError(`no model found: ${where} has no ${MANIFEST_FILE} (was the model trained by this framework and unpacked into the model dir?)`);
  }
  let raw: unknown;
  try {
    // The store refuses links, FIFOs and oversized files; its JSON errors give a position, not the text.
    raw = await store.readJson(MANIFEST_FILE, MAX_MANIFEST_BYTES);
  } catch (error) {
    throw new ManifestError(`model manifest ${where}/${MANIFEST_FILE} is corrupt: ${(error as Error).message}`);
  }
  const parsed = ManifestSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = formatIssues(parsed.error.issues).join('; ');
    throw new ManifestError(`model manifest ${where}/${MANIFEST_FILE} is invalid: ${problems}`);
  }
  return parsed.data;
}

/** What a report may know of the training, from the manifest. */
export function trainingRecord(manifest: ModelManifest): TrainingRecord {
  return {
    algorithm: manifest.algorithm,
    ...(manifest.createdAt === undefined ? {} : { createdAt: manifest.createdAt }),
    hyperparameters: manifest.hyperparameters,
    metrics: manifest.metrics ?? {},
  };
}
