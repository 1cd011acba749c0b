/**
 * Delivery to entities whose workflow closed, on the real server: one that completed (ended through `end`)
 * starts a new life, by signal-with-start and by update-with-start; one that was terminated refuses both,
 * and its id is never reused.
 */
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, Worker } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EntityNotRunningError } from '../../src/client/entity-not-running-error.js';
import type { EngineEvent } from '../../src/rules/types.js';
import { stateQuery } from '../../src/contract/messages.js';
import { fixtureConfig } from '../ingest/ingest-fixture.js';
import { startTestEngine, temporalTestContext, uniqueName, type TestEngine } from '../helpers/temporal.js';

const config = fixtureConfig();
let engine: TestEngine;
let completing: { worker: Worker; running: Promise<void>; taskQueue: string };

beforeAll(async () => {
  engine = await startTestEngine(config, { env: {} });
  const ctx = await temporalTestContext();
  const taskQueue = uniqueName('completing');
  const bundle = await bundleWorkflowCode({
    workflowsPath: fileURLToPath(new URL('../fixtures/completing/index.ts', import.meta.url)),
    logger: new DefaultLogger('ERROR'),
  });
  const worker = await Worker.create({
    connection: ctx.nativeConnection,
    taskQueue,
    workflowBundle: { code: bundle.code },
  });
  completing = { worker, running: worker.run(), taskQueue };
}, 120_000);
afterAll(async () => {
  completing?.worker.shutdown();
  await completing?.running;
  await engine?.stop();
});

const scan = (teamId: string, n: number): EngineEvent => ({
  id: `${teamId}-${n}`,
  source: 'scanners',
  type: 'checkpoint.scanned',
  specversion: '1.0',
  data: { teamId, checkpoint: `cp-${n}` },
});

/** Leaves a completed workflow under `team/<key>`. */
async function completedEntity(): Promise<string> {
  const key = uniqueName('done');
  const handle = await engine.client.workflow.start('entityWorkflow', {
    workflowId: `team/${key}`,
    taskQueue: completing.taskQueue,
  });
  await handle.result();
  return key;
}

describe('delivery to a closed entity on the real server', () => {
  it('starts a new life for an entity whose workflow completed (signal-with-start and update-with-start)', async () => {
    const bySignal = await completedEntity();
    await engine.delivery.send([scan(bySignal, 1)]);
    await expect
      .poll(
        () =>
          engine.client.workflow
            .getHandle(`team/${bySignal}`)
            .query(stateQuery)
            .catch(() => undefined),
        {
          timeout: 20_000,
        },
      )
      .toMatchObject({ eventCount: 1 });

    const byUpdate = await completedEntity();
    const [result] = await engine.delivery.publish([scan(byUpdate, 1)]);
    expect(result).toMatchObject({ status: 'accepted' });
  });

  it('refuses both deliveries for a terminated entity, leaving it terminated', async () => {
    const key = uniqueName('gone');
    await engine.delivery.publish([scan(key, 1)]);
    const handle = engine.client.workflow.getHandle(`team/${key}`);
    await handle.terminate('test');
    await expect(engine.delivery.send([scan(key, 2)])).rejects.toBeInstanceOf(EntityNotRunningError);
    await expect(engine.delivery.publish([scan(key, 3)])).rejects.toBeInstanceOf(EntityNotRunningError);
    expect((await handle.describe()).status.name).toBe('TERMINATED');
  });
});
