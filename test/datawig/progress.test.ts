/**
 * What datawig tells the job's progress display (`byoc train` on a terminal draws it): a unit per
 * model family of each target, starting at step 0, a step per epoch or boosting round with the
 * losses and early stopping's state, and a closing summary; complete mode names the round.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createTestTrainContext, type RecordingProgress } from '../../framework/testing.js';
import { DatawigAlgorithm } from '../../algorithms/datawig/index.js';
import { hp, mixedTable, textTable } from './helpers.js';

const alg = new DatawigAlgorithm();

function unitsOf(progress: RecordingProgress): string[] {
  return [...new Set(progress.updates.map((u) => u.unit))].sort();
}

describe('datawig training progress', () => {
  it('one unit per family fitted, steps from 0 up to at most the total, losses and patience, then a summary', async () => {
    const ctx = createTestTrainContext({ train: textTable(300) }, hp({ label_column: 'label', model_family: 'ensemble', num_epochs: 4, patience: 10 }));
    await alg.train(ctx);
    const { progress } = ctx;
    assert.deepEqual(unitsOf(progress), ['label · linear', 'label · network', 'label · trees']);
    for (const unit of unitsOf(progress)) {
      const steps = progress.updates.filter((u) => u.unit === unit);
      assert.equal(steps[0]!.step, 0, `${unit} starts at 0`);
      assert.equal(steps[0]!.status, 'starting');
      assert.deepEqual(
        steps.map((s) => s.step),
        steps.map((_, i) => i),
        `${unit}: one step at a time`,
      );
      for (const s of steps.slice(1)) {
        assert.ok(s.step <= s.total, `${unit}: step ${s.step} of ${s.total}`);
        assert.ok(Number.isFinite(s.figures!.loss), `${unit}: a training loss`);
        assert.ok(Number.isFinite(s.figures!.val_loss), `${unit}: a validation loss`);
        assert.match(s.status!, /^best (epoch|round) \d+, patience \d+\/\d+$/);
      }
    }
    const network = progress.updates.filter((u) => u.unit === 'label · network');
    assert.equal(network.at(-1)!.total, 4, 'the network counts num_epochs');
    assert.deepEqual(progress.finished.map((f) => f.unit).sort(), unitsOf(progress));
    assert.match(progress.finished.find((f) => f.unit === 'label · network')!.summary!, /^4 epochs, best \d$/);
    assert.match(progress.finished.find((f) => f.unit === 'label · trees')!.summary!, /^\d+ rounds, best \d+(, stopped early)?$/);
  });

  it('complete mode names each column and round', async () => {
    const ctx = createTestTrainContext({ train: mixedTable(200) }, hp({ iterations: 2, num_epochs: 3 }));
    await alg.train(ctx);
    const units = unitsOf(ctx.progress);
    for (const column of ['kind', 'y', 'shape']) {
      assert.ok(
        units.some((u) => u.startsWith(`${column} · round 1 · `)),
        `${column}, round 1: ${units.join(', ')}`,
      );
    }
    assert.ok(
      units.every((u) => /^\w+ · round [12] · (trees|linear|network)$/.test(u) || /^\w+ · round [12] · (raw|log) scale · (trees|linear)$/.test(u)),
      units.join(', '),
    );
    assert.ok(ctx.progress.finished.length >= units.length);
  });
});
