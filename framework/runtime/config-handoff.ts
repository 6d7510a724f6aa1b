/**
 * The serving primary validates the configuration once and hands the result to its workers over
 * the cluster's IPC channel. Workers skip reading YAML and validating again, and all of them run
 * with exactly the configuration the primary checked, even if a file changes while a replacement
 * worker starts. A worker asks when it needs the configuration (a message pushed before the worker
 * listens would be lost), so the primary can fork its first worker before it has read the
 * configuration: that worker's start then overlaps the primary's reading and validating.
 */
import type { FrameworkConfig } from './config.js';

/** Worker to primary. */
export interface ConfigRequest {
  type: 'config-request';
}
/** Primary to worker. */
export interface ConfigAnswer {
  type: 'config';
  config: FrameworkConfig;
}

/** The primary's end of a worker's channel (a cluster Worker fits). */
export interface WorkerChannel {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  isConnected(): boolean;
  send(message: ConfigAnswer): unknown;
}

/** In the primary, from the fork on: answers the worker's configuration request once `config` is known. */
export function answerConfigRequests(worker: WorkerChannel, config: Promise<FrameworkConfig>): void {
  worker.on('message', (message) => {
    if ((message as ConfigRequest | undefined)?.type !== 'config-request') return;
    void config.then((value) => {
      if (worker.isConnected()) worker.send({ type: 'config', config: value });
    });
  });
}

/** A worker's end of the channel (the worker's `process` fits). */
export interface PrimaryChannel {
  on(event: 'message', listener: (message: unknown) => void): unknown;
  off(event: 'message', listener: (message: unknown) => void): unknown;
  send?(message: ConfigRequest): unknown;
}

/**
 * In a worker: the primary's validated configuration. Not answered if the primary cannot load it;
 * the primary then exits, and a cluster worker exits when its primary goes away.
 */
export function requestConfig(primary: PrimaryChannel = process): Promise<FrameworkConfig> {
  const send = primary.send?.bind(primary);
  if (!send) return Promise.reject(new Error('this process was not started by a serving primary (no IPC channel)'));
  return new Promise((resolve) => {
    const onMessage = (message: unknown): void => {
      if ((message as ConfigAnswer | undefined)?.type !== 'config') return;
      primary.off('message', onMessage);
      resolve((message as ConfigAnswer).config);
    };
    primary.on('message', onMessage);
    send({ type: 'config-request' });
  });
}
