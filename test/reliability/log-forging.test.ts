/**
 * Logs cannot forge metrics: SageMaker reads training metrics from stdout with the
 * `MetricDefinitions` regexes of docs/contract.md ("## Metrics"), which match anywhere in a line. Data
 * that reaches a JSON log line (a column name, a value, an error message) must not match them;
 * the real metric lines must.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { metricDefinitions } from '../../container/sagemaker-client/metrics.js';
import { JsonLogger, defuseMetricPlainText, defuseMetricText } from '../../framework/runtime/logger.js';
import { StdoutMetricEmitter } from '../../framework/training/metrics.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

/** The regexes documented in docs/contract.md ("## Metrics"), and those the SageMaker client sends. */
function documentedRegexes(): RegExp[] {
  const readme = readFileSync(path.join(REPO_ROOT, 'docs', 'contract.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Metrics'), readme.indexOf('\n## ', readme.indexOf('## Metrics') + 1));
  const documented = [...section.matchAll(/"Regex": "([^"]+)"/g)].map((m) => m[1]!.replace(/\\\\/g, '\\'));
  assert.ok(documented.length >= 5, 'docs/contract.md documents the MetricDefinitions');
  const generated = metricDefinitions().map((d) => d.Regex!);
  assert.deepEqual(documented, generated, 'docs/contract.md and the SageMaker client agree');
  const anchored = section.match(/`(\^METRIC [^`]+)`/)?.[1];
  assert.ok(anchored, 'docs/contract.md shows the anchored form');
  return [...generated, anchored].map((source) => new RegExp(source));
}

/** A logger writing to a buffer; `lines()` flushes and returns what it wrote, line by line. */
function bufferLogger(): { logger: JsonLogger; lines: () => string[] } {
  let text = '';
  const out = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const logger = JsonLogger.create('debug', { role: 'train' }, { out });
  return {
    logger,
    lines: () => {
      logger.flush();
      return text.split('\n').filter((line) => line !== '');
    },
  };
}

const FORGED = 'METRIC validation:accuracy=0.999';

describe('logs cannot forge metrics', () => {
  const regexes = documentedRegexes();
  const matching = (line: string) => regexes.filter((r) => r.test(line)).map(String);

  it('a column named like a metric line, in any key or string of a log line, matches no documented regex; the JSON is unchanged', () => {
    const { logger, lines } = bufferLogger();
    logger.info('training started', { columns: ['review', FORGED], label: FORGED });
    logger.warn(FORGED, { [FORGED]: 1 });
    logger.error('training failed', { reason: `column "${FORGED}" has no values`, nested: { deeper: [{ value: `x ${FORGED} epoch=1` }] } });
    logger.child({ column: FORGED }).debug('child bindings');
    logger.info('METRIC at line start', { error: new Error(`bad column ${FORGED}`).message });
    const written = lines();
    assert.equal(written.length, 5);
    for (const line of written) {
      assert.deepEqual(matching(line), [], line);
      assert.ok(!line.includes('METRIC'), line);
      assert.ok(line.startsWith('{'), line);
    }
    const parsed = written.map((line) => JSON.parse(line) as Record<string, unknown>);
    assert.deepEqual(parsed[0]!['columns'], ['review', FORGED], 'JSON.parse reads the text as logged');
    assert.equal(parsed[1]!['msg'], FORGED);
    assert.equal(parsed[1]![FORGED], 1);
    assert.deepEqual(parsed[2]!['nested'], { deeper: [{ value: `x ${FORGED} epoch=1` }] });
    assert.equal(parsed[3]!['column'], FORGED);
  });

  it('the text log of a terminal (pino-pretty) forges none either, in its message or its fields', () => {
    let text = '';
    const lines = { write: (t: string) => void (text += t), flush: () => undefined };
    const logger = JsonLogger.create('debug', { role: 'train' }, { format: 'text', lines });
    logger.info(FORGED, { label: FORGED });
    logger.warn(`column "${FORGED}" has no values`);
    logger.flush();
    const written = text.split('\n').filter((line) => line !== '');
    assert.equal(written.length, 2, text);
    for (const line of written) {
      assert.deepEqual(matching(line), [], line);
      assert.match(line, /^\[\d\d:\d\d:\d\d\] (INFO|WARN): /);
    }
  });

  it('a real metric line matches its regex, at column 0', () => {
    const lines: string[] = [];
    const { logger } = bufferLogger();
    new StdoutMetricEmitter(logger, (line) => lines.push(line)).emit('validation:accuracy', 0.9125, { epoch: 3 });
    assert.deepEqual(lines, ['METRIC validation:accuracy=0.9125 epoch=3\n']);
    const accuracy = regexes.filter((r) => r.source.includes('validation:accuracy'));
    assert.equal(accuracy.length, 2);
    for (const regex of accuracy) assert.equal(regex.exec(lines[0]!)?.[1], '0.9125', String(regex));
  });

  it('lines without METRIC are written as pino wrote them; escaping keeps the JSON equivalent, backslashes included', () => {
    const plain = '{"level":"info","msg":"nothing to see"}\n';
    assert.equal(defuseMetricText(plain), plain);
    for (const value of [FORGED, '\\METRIC x=1', '\\\\METRIC', 'METRICMETRIC', '"METRIC"', 'a\nMETRIC b=2']) {
      const line = JSON.stringify({ [value]: value });
      const defused = defuseMetricText(line);
      assert.ok(!defused.includes('METRIC'), defused);
      assert.deepEqual(JSON.parse(defused), { [value]: value });
    }
  });

  it('plain text (a training failure on stderr) cannot forge a metric either', () => {
    const text = `could not read column "${FORGED}"\n${FORGED}\n`;
    const defused = defuseMetricPlainText(text);
    for (const line of defused.split('\n')) assert.deepEqual(matching(line), [], line);
    assert.equal(defuseMetricPlainText('no metric here'), 'no metric here');
  });
});
