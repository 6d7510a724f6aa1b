import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { defaultMlRoot, resolvePaths } from '../../framework/ml-root/paths.js';

describe('resolvePaths', () => {
  it('resolves every SageMaker location from the ml root', () => {
    const p = resolvePaths('/opt/ml', {});
    assert.equal(p.root, '/opt/ml');
    assert.equal(p.configDir, '/opt/ml/input/config');
    assert.equal(p.hyperparametersFile, '/opt/ml/input/config/hyperparameters.json');
    assert.equal(p.inputDataConfigFile, '/opt/ml/input/config/inputdataconfig.json');
    assert.equal(p.resourceConfigFile, '/opt/ml/input/config/resourceconfig.json');
    assert.equal(p.dataDir, '/opt/ml/input/data');
    assert.equal(p.modelDir, '/opt/ml/model');
    assert.equal(p.outputDir, '/opt/ml/output');
    assert.equal(p.outputDataDir, '/opt/ml/output/data');
    assert.equal(p.failureFile, '/opt/ml/output/failure');
    assert.equal(p.checkpointsDir, '/opt/ml/checkpoints');
    assert.equal(p.channelDir('train'), '/opt/ml/input/data/train');
    assert.equal(p.channelDir('validation'), '/opt/ml/input/data/validation');
  });

  it('makes a relative root absolute', () => {
    const p = resolvePaths('some/ml', {});
    assert.equal(p.root, path.resolve('some/ml'));
    assert.ok(path.isAbsolute(p.modelDir));
  });

  it('honours SM_MODEL_DIR, SM_OUTPUT_DIR, SM_OUTPUT_DATA_DIR and SM_CHANNEL_<NAME>', () => {
    const p = resolvePaths('/opt/ml', {
      SM_MODEL_DIR: '/m',
      SM_OUTPUT_DIR: '/o',
      SM_CHANNEL_TRAIN: '/data/t',
      SM_CHANNEL_MY_VALIDATION: '/data/v',
    });
    assert.equal(p.modelDir, '/m');
    assert.equal(p.outputDir, '/o');
    assert.equal(p.failureFile, '/o/failure', 'failure follows the output dir');
    assert.equal(p.outputDataDir, '/o/data', 'output/data follows the output dir');
    assert.equal(p.channelDir('train'), '/data/t');
    assert.equal(p.channelDir('my-validation'), '/data/v', 'non-alphanumerics map to _ and the name is upper-cased');
    assert.equal(p.channelDir('test'), '/opt/ml/input/data/test');
    assert.equal(resolvePaths('/opt/ml', { SM_OUTPUT_DATA_DIR: '/od' }).outputDataDir, '/od');
  });

  it('ignores empty SM_* values', () => {
    const p = resolvePaths('/r', { SM_MODEL_DIR: '', SM_CHANNEL_TRAIN: '' });
    assert.equal(p.modelDir, '/r/model');
    assert.equal(p.channelDir('train'), '/r/input/data/train');
  });
});

describe('defaultMlRoot', () => {
  it('is ML_ROOT when set, else /opt/ml', () => {
    assert.equal(defaultMlRoot({ ML_ROOT: '/tmp/x' }), '/tmp/x');
    assert.equal(defaultMlRoot({}), '/opt/ml');
    assert.equal(defaultMlRoot({ ML_ROOT: '  ' }), '/opt/ml');
  });
});
