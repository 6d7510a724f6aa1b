/** `byoc train`: one SageMaker training job on the tree under --ml-root. */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { AlgorithmProvider } from '../contract/services.js';
import { resolvePaths } from '../ml-root/paths.js';
import { EXIT_FAILURE, TrainingRunner, formatFailure } from '../training/runner.js';
import { createCommandContext } from './context.js';
import { defuseMetricPlainText } from '../training/metrics.js';

export async function trainCommand(builtIn: readonly AlgorithmProvider[], mlRoot: string): Promise<number> {
  const paths = resolvePaths(mlRoot);
  let context;
  try {
    context = await createCommandContext(builtIn, 'train', { paths });
  } catch (error) {
    // Even a broken configuration must leave a reason where SageMaker looks for it.
    const text = `could not start training: ${formatFailure(error)}`;
    process.stderr.write(defuseMetricPlainText(text));
    await mkdir(path.dirname(paths.failureFile), { recursive: true }).catch(() => undefined);
    await writeFile(paths.failureFile, text).catch(() => undefined);
    return EXIT_FAILURE;
  }
  // Task threads start on this process's own entry point, which hands them over to the task loop.
  const code = await context.container.get(TrainingRunner).run({ taskEntry: process.argv[1] });
  context.logger.flush();
  return code;
}
