/** `byoc report`: the HTML training report of a trained model, by the algorithm its manifest names. */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import type { AlgorithmRegistry } from '../algorithms/registry.js';
import { TOKENS, type AlgorithmProvider } from '../contract/services.js';
import { readManifest, trainingRecord } from '../model/manifest.js';
import { buildReportPage } from '../report/report-page.js';
import { DirectoryArtifactStore } from '../storage/artifact-store.js';
import { createCommandContext } from './context.js';

export interface ReportFlags {
  model: string;
  output: string;
}

/** Exit code of a model that cannot be reported on (missing, corrupt, or its algorithm has no report). */
const REPORT_FAILED = 1;

export async function reportCommand(builtIn: readonly AlgorithmProvider[], flags: ReportFlags): Promise<number> {
  const modelDir = path.resolve(flags.model);
  const { container, logger } = await createCommandContext(builtIn, 'report', { modelDir });
  try {
    const found = await stat(modelDir).catch(() => undefined);
    if (!found?.isDirectory()) throw new Error(`--model ${flags.model}: no such folder`);
    const model = new DirectoryArtifactStore(modelDir);
    const manifest = await readManifest(model, modelDir);
    const algorithm = container.get<AlgorithmRegistry>(TOKENS.AlgorithmRegistry).get(manifest.algorithm.name, `named by the model manifest in ${modelDir}`);
    const page = await buildReportPage(algorithm, { model, trained: trainingRecord(manifest), logger }).catch((error: Error) => {
      // the algorithm's errors name a file inside the model dir: say which model dir
      throw new Error(`the model in ${flags.model} cannot be reported on: ${error.message}`);
    });
    if (!page) throw new Error(`algorithm "${algorithm.name}" has no report`);
    const output = path.resolve(flags.output);
    // the store writes a temporary file and renames it: a reader never sees half a page
    await new DirectoryArtifactStore(path.dirname(output)).writeFile(path.basename(output), page.html);
    process.stderr.write(`wrote the report of ${flags.model} (${page.document.sections.length} sections) to ${flags.output}\n`);
    return 0;
  } catch (error) {
    process.stderr.write(`byoc report: ${(error as Error).message}\n`);
    return REPORT_FAILED;
  } finally {
    logger.flush();
  }
}
