import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { StdoutMetricEmitter, formatMetricLine } from '../../framework/training/metrics.js';
import { RecordingLogger } from '../../framework/testing.js';

describe('metric lines', () => {
  it('format: METRIC <name>=<value>[ epoch=<n>][ step=<n>]', () => {
    assert.equal(formatMetricLine('validation:accuracy', 0.9125, { epoch: 3 }), 'METRIC validation:accuracy=0.9125 epoch=3');
    assert.equal(formatMetricLine('train:loss', 1.5), 'METRIC train:loss=1.5');
    assert.equal(formatMetricLine('train:loss', 2, { epoch: 1, step: 40 }), 'METRIC train:loss=2 epoch=1 step=40');
    assert.equal(formatMetricLine('x', 1 / 3), 'METRIC x=0.33333333', 'eight significant digits');
    assert.equal(formatMetricLine('x', 1.5e-12), 'METRIC x=1.5e-12');
  });

  it('the documented MetricDefinitions regex captures the value', () => {
    const regex = /METRIC validation:accuracy=([-+0-9.eE]+)/;
    for (const value of [0.9125, -3, 1.5e-12, 123456789]) {
      const line = formatMetricLine('validation:accuracy', value, { epoch: 2 });
      assert.equal(Number(regex.exec(line)?.[1]), Number(value.toPrecision(8)), line);
    }
  });

  it('StdoutMetricEmitter writes one line per metric; bad names and non-finite values are warned about, not written', () => {
    const lines: string[] = [];
    const logger = new RecordingLogger();
    const emitter = new StdoutMetricEmitter(logger, (line) => lines.push(line));
    emitter.emit('train:loss', 0.25, { epoch: 1 });
    emitter.emit('bad name with spaces', 1);
    emitter.emit('train:loss', Number.NaN);
    emitter.emit('train:loss', Number.POSITIVE_INFINITY);
    assert.deepEqual(lines, ['METRIC train:loss=0.25 epoch=1\n']);
    assert.equal(logger.entries.filter((e) => e.level === 'warn').length, 3);
  });
});
