/**
 * Keeps the bench's Restate target working end to end: the Restate server from the npm package starts on
 * free loopback ports, the bench's virtual object is registered, events fold into keyed state, the action
 * calls the sandbox sink once per event with the engine's idempotency key, a re-sent event changes nothing,
 * and the server is gone afterwards. Not a performance test.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EventFactory } from '../../bench/bench-events.js';
import { sinkIdempotencyKey } from '../../bench/restate/bench-object.js';
import { RestateRuntime, type RestateServer } from '../../bench/restate/restate-server.js';
import { startRestateTarget, type RestateTarget } from '../../bench/restate/restate-target.js';
import { eventually } from '../reliability/harness/eventually.js';

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('bench Restate target', () => {
  const runtime = new RestateRuntime(pino({ level: 'warn' }));
  let server: RestateServer;
  let target: RestateTarget;

  beforeAll(async () => {
    server = await runtime.server();
    target = await startRestateTarget(runtime, pino({ level: 'warn' }), { withAction: true });
  }, 90_000);

  afterAll(async () => {
    await target?.stop();
    await runtime.stop();
  });

  it('folds events into keyed state and calls the sink once per event, a re-sent event included', async () => {
    const events = new EventFactory('rt');
    const sent = [events.event(0), events.event(0), events.event(1), events.event(0)];
    for (const event of sent) await target.send([event]);
    // The same event again (a client retry): accepted once by Restate's idempotency key.
    await target.send([sent[0]!]);

    await target.tracker.lastProcessed(
      sent.map((e) => e.id),
      30_000,
    );
    await eventually(
      async () => target.sandbox.requests().length,
      (n) => n >= sent.length,
      { timeoutMs: 30_000, intervalMs: 50, what: 'one sink call per event' },
    );
    expect(
      await eventually(
        () => target.state(events.key(0)),
        (s) => s?.scans === 3,
        { intervalMs: 50 },
      ),
    ).toEqual({
      scans: 3,
      last: 'cp-1',
    });
    expect(await target.state(events.key(1))).toEqual({ scans: 1, last: 'cp-1' });

    const requests = target.sandbox.requests();
    expect(requests.map((r) => r.idempotencyKey).sort()).toEqual(sent.map(sinkIdempotencyKey).sort());
    expect(requests.filter((r) => r.duplicate)).toEqual([]);
    expect([...target.actionAt.keys()].sort()).toEqual(sent.map((e) => e.id).sort());
  });

  it('records the server version and stops the server process', async () => {
    expect(runtime.info()?.version).toMatch(/^\d+\.\d+\.\d+/);
    const pid = server.pid;
    expect(isRunning(pid)).toBe(true);
    await target.stop();
    await runtime.stop();
    expect(isRunning(pid)).toBe(false);
  });
});
