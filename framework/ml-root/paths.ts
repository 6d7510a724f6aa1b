/**
 * The SageMaker container file layout, resolved from one ml root (default /opt/ml), with the
 * training toolkit's SM_* variables taking precedence where they name a location.
 */
import path from 'node:path';

export interface SageMakerPaths {
  root: string;
  configDir: string;
  hyperparametersFile: string;
  inputDataConfigFile: string;
  resourceConfigFile: string;
  dataDir: string;
  modelDir: string;
  outputDir: string;
  outputDataDir: string;
  failureFile: string;
  checkpointsDir: string;
  /** Folder of a File-mode channel (`SM_CHANNEL_<NAME>` when set). */
  channelDir(channel: string): string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

/** `--ml-root` flag, else `ML_ROOT`, else `/opt/ml`. */
export function defaultMlRoot(env: Environment = process.env): string {
  return env.ML_ROOT && env.ML_ROOT.trim() !== '' ? env.ML_ROOT : '/opt/ml';
}

export function resolvePaths(mlRoot: string, env: Environment = process.env): SageMakerPaths {
  const root = path.resolve(mlRoot);
  const configDir = path.join(root, 'input', 'config');
  const dataDir = path.join(root, 'input', 'data');
  const outputDir = env.SM_OUTPUT_DIR ? path.resolve(env.SM_OUTPUT_DIR) : path.join(root, 'output');
  return {
    root,
    configDir,
    hyperparametersFile: path.join(configDir, 'hyperparameters.json'),
    inputDataConfigFile: path.join(configDir, 'inputdataconfig.json'),
    resourceConfigFile: path.join(configDir, 'resourceconfig.json'),
    dataDir,
    modelDir: env.SM_MODEL_DIR ? path.resolve(env.SM_MODEL_DIR) : path.join(root, 'model'),
    outputDir,
    outputDataDir: env.SM_OUTPUT_DATA_DIR ? path.resolve(env.SM_OUTPUT_DATA_DIR) : path.join(outputDir, 'data'),
    failureFile: path.join(outputDir, 'failure'),
    checkpointsDir: path.join(root, 'checkpoints'),
    channelDir(channel: string): string {
      const override = env[`SM_CHANNEL_${channel.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`];
      return override ? path.resolve(override) : path.join(dataDir, channel);
    },
  };
}
