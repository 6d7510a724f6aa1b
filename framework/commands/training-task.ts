/** What a training-task thread runs: the same composition as its job, then the task loop. */
import { parentPort } from 'node:worker_threads';
import type { AlgorithmRegistry } from '../algorithms/registry.js';
import type { AlgorithmProvider } from '../contract/services.js';
import { TOKENS } from '../contract/services.js';
import { DirectoryArtifactStore, MemoryArtifactStore } from '../storage/artifact-store.js';
import type { TaskThreadData } from '../training/task-protocol.js';
import { serveTasks } from '../training/task-thread.js';
import { createCommandContext } from './context.js';

export async function trainingTaskCommand(algorithms: readonly AlgorithmProvider[], data: TaskThreadData): Promise<void> {
  if (!parentPort) throw new Error('a training-task thread must run in a worker thread');
  await serveTasks(parentPort, async () => {
    const { container } = await createCommandContext(algorithms, 'training-task', { validated: data.config });
    const algorithm = container.get<AlgorithmRegistry>(TOKENS.AlgorithmRegistry).get(data.algorithm, 'training task thread');
    return {
      algorithm: algorithm.name,
      tasks: algorithm.tasks ?? {},
      hyperparameters: data.hyperparameters,
      checkpoints: data.checkpointsDir === undefined ? new MemoryArtifactStore() : new DirectoryArtifactStore(data.checkpointsDir),
      logLevel: data.config.logging.level,
    };
  });
}
