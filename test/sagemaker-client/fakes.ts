/**
 * In-process fakes for the SageMaker client tests: AWS clients whose `send` is replaced by
 * aws-sdk-client-mock (no request leaves the process), a clock whose sleep advances time
 * instantly, and an output sink that records what would be printed.
 */
import { after, before } from 'node:test';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import type { AwsClients } from '../../container/sagemaker-client/clients.js';
import type { Clock } from '../../container/sagemaker-client/wait.js';
import type { Deps, Io } from '../../container/sagemaker-client/workflows.js';

export const START = Date.parse('2026-11-25T04:30:12.000Z');

export class FakeClock implements Clock {
  sleeps: number[] = [];
  constructor(public t = START) {}
  now(): number {
    return this.t;
  }
  async sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.t += ms;
  }
}

export class RecordingIo implements Io {
  infos: string[] = [];
  results: string[] = [];
  info(message: string): void {
    this.infos.push(message);
  }
  result(text: string): void {
    this.results.push(text);
  }
}

export function fakeClients() {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' };
  const clients: AwsClients = {
    s3: new S3Client({ region: 'eu-west-1', credentials }),
    sagemaker: new SageMakerClient({ region: 'eu-west-1', credentials }),
    runtime: new SageMakerRuntimeClient({ region: 'eu-west-1', credentials }),
  };
  return {
    clients,
    s3: mockClient(clients.s3),
    sm: mockClient(clients.sagemaker),
    rt: mockClient(clients.runtime),
  };
}

export function fakeDeps() {
  const f = fakeClients();
  const clock = new FakeClock();
  const io = new RecordingIo();
  const deps: Deps = { clients: f.clients, io, clock };
  return { ...f, clock, io, deps };
}

/** The class names of the commands a mocked client was sent, in order. */
export function sentCommands(mock: { calls(): { args: readonly unknown[] }[] }): string[] {
  return mock.calls().map((call) => (call.args[0] as { constructor: { name: string } }).constructor.name);
}

/** A response body like the SDK's (Uint8Array with transformToString). */
export function sdkBody(text: string): never {
  const bytes = new TextEncoder().encode(text);
  return Object.assign(bytes, {
    transformToString: async () => text,
  }) as never;
}

export async function tempDir(): Promise<string> {
  return mkdtemp(path.join(os.tmpdir(), 'byoc-sm-client-'));
}

export const TRAIN_CSV = 'rating_binary,review\nnegative,"bad, really"\npositive,great film\n';
export const TEST_CSV = 'rating_binary,review\n,what a film\n,dull\n';
export const IMPUTED_CSV = 'rating_binary,review,rating_binary_imputed,rating_binary_imputed_proba\n,what a film,positive,0.91\n,dull,negative,0.77\n';

export async function sampleFiles(): Promise<{ dir: string; train: string; test: string; hps: string }> {
  const dir = await tempDir();
  const train = path.join(dir, 'train.csv');
  const test = path.join(dir, 'test.csv');
  const hps = path.join(dir, 'hyperparameters.json');
  await writeFile(train, TRAIN_CSV);
  await writeFile(test, TEST_CSV);
  // like the original sample: a number among the values, which must reach SageMaker as a string
  await writeFile(hps, JSON.stringify({ feature_columns: 'review', label_column: 'rating_binary', num_epochs: 10 }));
  return { dir, train, test, hps };
}

export type SampleFiles = Awaited<ReturnType<typeof sampleFiles>>;

/** The sample files for the tests of one file: written before them, removed after them. */
export function useSampleFiles(): SampleFiles {
  const files = {} as SampleFiles;
  before(async () => {
    Object.assign(files, await sampleFiles());
  });
  after(async () => {
    await rm(files.dir, { recursive: true, force: true });
  });
  return files;
}
