/** `byoc train`: one training job, on the SageMaker tree under --ml-root or on the files of --data. */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ReportDocument } from '../contract/report.js';
import type { AlgorithmProvider } from '../contract/services.js';
import { LocalJobError, stageLocalJob, type LocalJob } from '../ml-root/local-job.js';
import { defaultMlRoot, resolvePaths, type SageMakerPaths } from '../ml-root/paths.js';
import { EXIT_FAILURE, TrainingRunner, formatFailure } from '../training/runner.js';
import { createCommandContext } from './context.js';
import { defuseMetricPlainText } from '../runtime/logger.js';
import { TerminalProgress } from '../runtime/terminal-progress.js';
import { printableLines } from '../report/terminal-text.js';

export interface TrainFlags {
  mlRoot?: string;
  data?: string;
  validation?: string;
  channel: string[];
  hp: string[];
  hyperparameters?: string;
  modelDir?: string;
  outputDir?: string;
}

const USAGE_ERROR = 2;

export async function trainCommand(builtIn: readonly AlgorithmProvider[], flags: TrainFlags): Promise<number> {
  let job: LocalJob | undefined;
  let paths: SageMakerPaths;
  try {
    const problem = usageProblem(flags);
    if (problem) throw new LocalJobError(problem);
    if (flags.data) {
      job = await stageLocalJob({
        channels: localChannels(flags),
        hp: flags.hp,
        modelDir: flags.modelDir!,
        ...(flags.hyperparameters ? { hyperparametersFile: flags.hyperparameters } : {}),
        ...(flags.outputDir ? { outputDir: flags.outputDir } : {}),
      });
      paths = job.paths;
    } else {
      paths = resolvePaths(flags.mlRoot ?? defaultMlRoot());
    }
  } catch (error) {
    if (!(error instanceof LocalJobError)) throw error;
    process.stderr.write(`byoc train: ${error.message}\n`);
    return USAGE_ERROR;
  }
  try {
    return await runJob(builtIn, paths);
  } finally {
    await job?.cleanup();
  }
}

/** What is wrong with the flags' combination, if anything. */
function usageProblem(flags: TrainFlags): string | undefined {
  const local = ['validation', 'hyperparameters', 'modelDir', 'outputDir'] as const;
  if (flags.data) {
    if (flags.mlRoot) return '--data and --ml-root exclude each other: --data trains on files, --ml-root on a SageMaker tree';
    if (!flags.modelDir) return '--data needs --model-dir DIR (where the model goes)';
    return undefined;
  }
  const given = [...local.filter((k) => flags[k] !== undefined), ...(flags.hp.length ? ['hp'] : []), ...(flags.channel.length ? ['channel'] : [])];
  if (given.length)
    return `${given.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(', ')} need${given.length === 1 ? 's' : ''} --data FILE`;
  if (!flags.mlRoot && !process.env.ML_ROOT && !existsSync(defaultMlRoot())) {
    return `no ${defaultMlRoot()} on this machine (it is the SageMaker layout inside a training container): pass --data train.csv --model-dir DIR to train on a file, or --ml-root DIR (or ML_ROOT) for a SageMaker tree elsewhere`;
  }
  return undefined;
}

function localChannels(flags: TrainFlags): Record<string, string> {
  const channels: Record<string, string> = { train: flags.data! };
  if (flags.validation) channels.validation = flags.validation;
  for (const entry of flags.channel) {
    const eq = entry.indexOf('=');
    const name = entry.slice(0, eq);
    if (eq <= 0 || !/^[A-Za-z0-9_-]+$/.test(name)) throw new LocalJobError(`--channel "${entry}": expected name=file with a name of letters, digits, - or _`);
    if (channels[name] !== undefined) throw new LocalJobError(`--channel ${name}: that channel is given twice`);
    channels[name] = entry.slice(eq + 1);
  }
  return channels;
}

async function runJob(builtIn: readonly AlgorithmProvider[], paths: SageMakerPaths): Promise<number> {
  // A person at a terminal gets the live progress display, the log as text above it, and no METRIC
  // lines in between (stdout on the same terminal); SageMaker's and CI's logs stay as they were.
  const terminal = process.stderr.isTTY ? new TerminalProgress(process.stderr) : undefined;
  let context;
  try {
    context = await createCommandContext(builtIn, 'train', {
      paths,
      ...(terminal ? { lines: terminal, metricsAsDebugLines: process.stdout.isTTY === true } : {}),
    });
  } catch (error) {
    // Even a broken configuration must leave a reason where SageMaker looks for it.
    const text = `could not start training: ${formatFailure(error)}`;
    process.stderr.write(defuseMetricPlainText(text));
    await mkdir(path.dirname(paths.failureFile), { recursive: true }).catch(() => undefined);
    await writeFile(paths.failureFile, text).catch(() => undefined);
    return EXIT_FAILURE;
  }
  const live = terminal && context.format === 'text' ? terminal : undefined;
  // ... and the summary table at the end.
  let report: ReportDocument | undefined;
  const onReport = live ? (doc: ReportDocument) => (report = doc) : undefined;
  let code: number;
  try {
    // Task threads start on this process's own entry point, which hands them over to the task loop.
    code = await context.container.get(TrainingRunner).run({
      taskEntry: process.argv[1],
      onReport,
      ...(live ? { progress: live, showFailure: (text: string) => live.write(`training failed: ${printableLines(text.trimEnd())}\n`) } : {}),
    });
  } finally {
    context.logger.flush();
    live?.stop();
  }
  if (report) {
    const { renderReportText } = await import('../report/text-summary.js');
    process.stderr.write(`\n${renderReportText(report)}`);
  }
  return code;
}
