/** What a serving worker's inference thread runs: the same composition as its worker, then the thread loop. */
import { parentPort } from 'node:worker_threads';
import type { AlgorithmProvider } from '../contract/services.js';
import { TOKENS } from '../contract/services.js';
import type { InvocationPipeline } from '../invocation/pipeline.js';
import type { ModelHost } from '../model/host.js';
import { timeoutMessage } from '../runtime/server-settings.js';
import { runInferenceLoop } from '../serving/inference-thread-loop.js';
import type { InferenceThreadData } from '../serving/thread-protocol.js';
import { createCommandContext } from './context.js';

export async function inferenceThreadCommand(algorithms: readonly AlgorithmProvider[], data: InferenceThreadData): Promise<void> {
  if (!parentPort) throw new Error('the inference thread must run in a worker thread');
  const { config, container } = await createCommandContext(algorithms, 'inference-thread', { modelDir: data.modelDir, validated: data.config });
  await runInferenceLoop(
    parentPort,
    container.get<ModelHost>(TOKENS.ModelHost),
    container.get<InvocationPipeline>(TOKENS.InvocationPipeline),
    timeoutMessage(config),
  );
}
