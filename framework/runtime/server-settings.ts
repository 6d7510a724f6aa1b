/** Server settings derived from the configuration (kept apart from config loading: workers that inherit a validated configuration need these without loading the YAML parser). */
import os from 'node:os';
import type { FrameworkConfig } from './config.js';

/** Worker count with "auto" resolved to the number of CPUs. */
export function resolveWorkerCount(config: FrameworkConfig): number {
  return config.server.workers === 'auto' ? Math.max(1, os.availableParallelism()) : config.server.workers;
}

/** Body limit in bytes: the batch limit when SageMaker runs a batch transform, else the real-time one. */
export function payloadLimitBytes(config: FrameworkConfig): number {
  const mb = config.batch.enabled ? config.batch.maxPayloadMb : config.server.maxPayloadMb;
  return Math.floor(mb * 1024 * 1024);
}

/** The message of a 504, the same on the HTTP thread and the inference thread. */
export function timeoutMessage(config: FrameworkConfig): string {
  return `request took longer than the timeout of ${config.server.timeoutSeconds} s`;
}

/** `server.multiModelMemoryMb` in bytes, "auto" resolved: half the memory (the container's limit if it has one), shared by the workers. */
export function multiModelBudgetBytes(config: FrameworkConfig, workers: number): number {
  const setting = config.server.multiModelMemoryMb;
  if (setting !== 'auto') return setting * 1024 * 1024;
  const limit = process.constrainedMemory?.() || os.totalmem();
  return Math.floor(Math.min(limit, os.totalmem()) / 2 / Math.max(1, workers));
}
