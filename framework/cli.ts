/**
 * The `byoc` command line. The container's entry point passes its algorithms in; SageMaker runs
 * the image with `train` or `serve` as the first argument.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { isMainThread, workerData } from 'node:worker_threads';
import type { AlgorithmProvider } from './contract/services.js';
import { frameworkInfo } from './runtime/version.js';
import { defaultMlRoot } from './ml-root/paths.js';
import type { TrainFlags } from './commands/train.js';

function positiveInt(name: string) {
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`${name} must be a positive integer`);
    return n;
  };
}

/** The algorithms, or a loader for them: a loader keeps the serving primary from importing them. */
export type AlgorithmSource = readonly AlgorithmProvider[] | (() => Promise<readonly AlgorithmProvider[]>);

/** Resolves to the algorithms; a command calls it only when it runs. */
type LoadAlgorithms = () => Promise<readonly AlgorithmProvider[]>;

const ML_ROOT_HELP = 'SageMaker root folder (default: $ML_ROOT, else /opt/ml)';

// Commands are imported when run, so that each process (notably the serving primary, which only
// forks workers) loads just the modules it needs: that is most of the cold start.
export function createCli(source: AlgorithmSource): Command {
  const algorithms: LoadAlgorithms = () => (typeof source === 'function' ? source() : Promise.resolve(source));
  const program = new Command('byoc')
    .description('SageMaker bring-your-own-container framework: train and serve pluggable algorithms')
    .version(frameworkInfo().version)
    // usage errors exit 2 (commander's own exit is 1); subcommands inherit this
    .exitOverride()
    .showHelpAfterError('(run "byoc <command> --help" for its options)')
    .addOption(
      new Option(
        '--log-format <format>',
        'log lines: text (readable, on stderr) or json (on stdout); auto: text on a terminal (default: $BYOC_LOG_FORMAT, else auto)',
      ).choices(['auto', 'json', 'text']),
    )
    // through the environment, so that serving workers and task threads write the same way
    .hook('preAction', (command) => {
      const format = command.opts<{ logFormat?: string }>().logFormat;
      if (format !== undefined) process.env.BYOC_LOG_FORMAT = format;
    });
  addAlgorithmsCommand(program, algorithms);
  addTrainCommand(program, algorithms);
  addServeCommand(program, algorithms);
  addImputeCommand(program, algorithms);
  addReportCommand(program, algorithms);
  return program;
}

function addAlgorithmsCommand(program: Command, algorithms: LoadAlgorithms): void {
  program
    .command('algorithms')
    .description('list the registered algorithms and their hyperparameters')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean }) => {
      const { algorithmsCommand } = await import('./commands/algorithms.js');
      process.stdout.write(await algorithmsCommand(await algorithms(), !!opts.json));
    });
}

function addTrainCommand(program: Command, algorithms: LoadAlgorithms): void {
  const collect = (value: string, previous: string[]): string[] => [...previous, value];
  program
    .command('train')
    .description('run a training job: on <ml-root> (what `docker run IMAGE train` runs), or on CSV files with --data')
    .option('--ml-root <dir>', ML_ROOT_HELP)
    .option('--data <file>', 'training CSV (or a folder of them): trains without an ml-root; needs --model-dir')
    .option('--validation <file>', 'validation CSV (the "validation" channel), with --data')
    .option('--channel <name=file>', 'another channel, with --data (repeatable)', collect, [])
    .option('--hp <key=value>', 'a hyperparameter, with --data (repeatable; wins over --hyperparameters)', collect, [])
    .option('--hyperparameters <file>', 'hyperparameters.json, with --data')
    .option('--model-dir <dir>', 'where the model goes, with --data')
    .option('--output-dir <dir>', 'output data (failure, reports), with --data (default: <model-dir>/../output)')
    .action(async (opts: TrainFlags) => {
      const { trainCommand } = await import('./commands/train.js');
      process.exitCode = await trainCommand(await algorithms(), opts);
    });
}

function addServeCommand(program: Command, algorithms: LoadAlgorithms): void {
  program
    .command('serve')
    .description('serve a model over HTTP: <ml-root>/model (what `docker run IMAGE serve` runs), or --model DIR')
    .option('--ml-root <dir>', ML_ROOT_HELP)
    .option('--model <dir>', 'serve this model dir (or model.tar.gz) instead of <ml-root>/model')
    .option('--port <n>', 'port (default: $SAGEMAKER_BIND_TO_PORT, else 8080)', positiveInt('--port'))
    .option('--workers <n>', 'worker processes (default: $SAGEMAKER_MODEL_SERVER_WORKERS / $MODEL_SERVER_WORKERS, else CPUs)', positiveInt('--workers'))
    .action(async (opts: { mlRoot?: string; model?: string; port?: number; workers?: number }) => {
      if (opts.model !== undefined && opts.mlRoot !== undefined) throw new Error('serve: pass --model or --ml-root, not both');
      const { serveCommand } = await import('./commands/serve.js');
      // The loader itself: the primary forks workers without importing the algorithms.
      await serveCommand(algorithms, { mlRoot: opts.mlRoot ?? defaultMlRoot(), model: opts.model, port: opts.port, workers: opts.workers });
    });
}

function addImputeCommand(program: Command, algorithms: LoadAlgorithms): void {
  program
    .command('impute')
    .description('impute a CSV file offline with a trained model (streams large files)')
    .requiredOption('--model <dir>', "the training job's model dir, or its model.tar.gz")
    .requiredOption('--input <file>', 'CSV file with a header row (- : standard input)')
    .requiredOption('--output <file>', 'where to write the CSV (- : standard output); replaced only once complete')
    .option('--fill', "write the input's columns with the gaps filled in (default: add <column>_imputed and <column>_imputed_proba)")
    .option('--attributes <k=v,...>', 'request options, as in X-Amzn-SageMaker-Custom-Attributes (e.g. precision_threshold=0.9)')
    .option('--chunk-rows <n>', 'rows per prediction batch', positiveInt('--chunk-rows'), 2000)
    .action(async (opts: { model: string; input: string; output: string; fill?: boolean; attributes?: string; chunkRows: number }) => {
      const { imputeCommand } = await import('./commands/impute.js');
      process.exitCode = await imputeCommand(await algorithms(), opts);
    });
}

function addReportCommand(program: Command, algorithms: LoadAlgorithms): void {
  program
    .command('report')
    .description('write the training report of a trained model: one self-contained HTML page')
    .requiredOption('--model <dir>', "model folder (the training job's model dir)")
    .option('--output <file>', 'where to write the page', 'report.html')
    .action(async (opts: { model: string; output: string }) => {
      const { reportCommand } = await import('./commands/report.js');
      process.exitCode = await reportCommand(await algorithms(), opts);
    });
}

/** Exit code of usage, configuration and plugin errors. */
export const USAGE_ERROR = 2;

/** Parses argv and runs; configuration and plugin errors end with a message and exit code 2. */
export async function runCli(algorithms: AlgorithmSource, argv: string[] = process.argv): Promise<void> {
  // A serving worker starts its inference thread, and a training job its task threads, on this same
  // entry point, so that the thread gets the same algorithms.
  if (!isMainThread) {
    const { isInferenceThreadData } = await import('./serving/thread-protocol.js');
    if (isInferenceThreadData(workerData)) {
      const { inferenceThreadCommand } = await import('./commands/inference-thread.js');
      await inferenceThreadCommand(typeof algorithms === 'function' ? await algorithms() : algorithms, workerData);
      return;
    }
    const { isTaskThreadData } = await import('./training/task-protocol.js');
    if (isTaskThreadData(workerData)) {
      const { trainingTaskCommand } = await import('./commands/training-task.js');
      await trainingTaskCommand(typeof algorithms === 'function' ? await algorithms() : algorithms, workerData);
      return;
    }
  }
  try {
    await createCli(algorithms).parseAsync(argv);
  } catch (error) {
    // commander has printed its message (or the help / version, which exit 0)
    if (error instanceof CommanderError) {
      process.exitCode = error.exitCode === 0 ? 0 : USAGE_ERROR;
      return;
    }
    process.stderr.write(`byoc: ${(error as Error).message}\n`);
    process.exitCode = USAGE_ERROR;
  }
}
