/**
 * Scenario 4 — partner outage: the partner fails half the calls, then is down, then recovers. Proves:
 * every action is eventually applied exactly once (by idempotency key); dead letters appear exactly for
 * the calls whose retries ran out (the connector's `maximumAttempts` consecutive failures), each with
 * that many attempts; redriving them applies them, and leaves no open dead letter.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { deadLettersQuery, redriveUpdate, type DeadLetter } from '../../src/contract/messages.js';
import { startTestEngine, uniqueName, type TestEngine } from '../helpers/temporal.js';
import { chaosConfig } from './harness/chaos-config.js';
import { printChaosFigure } from './harness/chaos-figure.js';
import { chaosSize } from './harness/chaos-scale.js';
import { entityViews } from './harness/entity-progress.js';
import { scanBurst, sendBurst } from './harness/event-burst.js';
import { eventually } from './harness/eventually.js';
import { keysExhaustingRetries, startFlakyPartner, type FlakyPartner } from './harness/flaky-partner.js';
import { auditPartner, expectedKey } from './harness/partner-audit.js';

const ENTITIES = chaosSize(10, 50);
const PER_PHASE = chaosSize(4, 10);
const DOWN_MS = chaosSize(15_000, 30_000);
const SEED = Number(process.env.CHAOS_SEED ?? 20_260_501);
const TIMEOUT_MS = chaosSize(120_000, 300_000);

let sandbox: Sandbox;
let proxy: FlakyPartner;
let engine: TestEngine;

beforeAll(async () => {
  sandbox = await startSandbox({ systems: ['partner'] });
  proxy = await startFlakyPartner(`http://127.0.0.1:${sandbox.port}`, SEED);
  engine = await startTestEngine(chaosConfig(), { env: { PARTNER_URL: `${proxy.url}/partner` } });
});
afterAll(async () => {
  await engine?.stop();
  await proxy?.close();
  await sandbox?.close();
});

const teamOf = (event: { data: unknown }) => `team/${(event.data as { teamId: string }).teamId}`;

async function allDeadLetters(workflowIds: string[]): Promise<Array<DeadLetter & { workflowId: string }>> {
  const lists = await Promise.all(
    workflowIds.map(async (workflowId) =>
      (await engine.client.workflow.getHandle(workflowId).query(deadLettersQuery)).map((l) => ({ ...l, workflowId })),
    ),
  );
  return lists.flat();
}

describe('scenario 4: partner outage', () => {
  it(
    'delivers every action once, dead-letters exactly what the retry policy gives up on, and redrive clears them',
    async () => {
      const config = chaosConfig();
      const maximumAttempts = config.connectors.partner!.retry.maximumAttempts!;
      const prefix = uniqueName('outage');
      const flaky = scanBurst(`${prefix}-a`, ENTITIES, PER_PHASE);
      const during = scanBurst(`${prefix}-b`, ENTITIES, PER_PHASE);
      const after = scanBurst(`${prefix}-c`, ENTITIES, PER_PHASE);
      const events = [...flaky, ...during, ...after];
      const entityIds = [...new Set(events.map(teamOf))];
      const keysOf = (batch: typeof events) => batch.map((e) => expectedKey(teamOf(e), e.id, 'notify'));
      const expectedKeys = keysOf(events);
      /** How many calls of `batch` are neither applied by the partner nor dead-lettered yet. */
      const unsettled = async (batch: typeof events) => {
        const keys = keysOf(batch);
        // A just-started entity answers queries only once it has its config: not settled yet.
        const found = await allDeadLetters([...new Set(batch.map(teamOf))]).catch(() => undefined);
        if (!found) return keys.length;
        const letters = new Set(found.map((l) => l.idempotencyKey));
        return auditPartner(sandbox.requests(), keys).missing.filter((key) => !letters.has(key)).length;
      };

      // Phase 1: half the calls fail (seeded), retries carry them through.
      proxy.setFailRatio(0.5);
      const sent = [await sendBurst(engine.delivery, flaky)];
      await eventually(
        () => unsettled(flaky),
        (left) => left === 0,
        {
          timeoutMs: TIMEOUT_MS,
          intervalMs: 1_000,
          what: 'phase 1 calls applied or dead-lettered',
        },
      );
      // Phase 2: the partner is down; calls made now run out of retries (about 3 s) before it is back.
      proxy.setFailRatio(0);
      sandbox.control('partner', { kind: 'down', ms: DOWN_MS });
      const downSince = Date.now();
      sent.push(await sendBurst(engine.delivery, during));
      await sleep(Math.max(0, downSince + DOWN_MS - Date.now()) + 500);
      // Phase 3: healthy again.
      sent.push(await sendBurst(engine.delivery, after));
      await eventually(
        () => unsettled(events),
        (left) => left === 0,
        {
          timeoutMs: TIMEOUT_MS,
          intervalMs: 1_000,
          what: 'every call applied or dead-lettered',
        },
      );

      const letters = await allDeadLetters(entityIds);
      const deadLettered = new Set(letters.map((l) => l.idempotencyKey));
      expect(deadLettered.size, 'the outage outlasted the retry policy for some calls').toBeGreaterThan(0);
      // Every call the partner failed on each of its attempts was dead-lettered: none is lost or still running…
      for (const key of keysExhaustingRetries(proxy.attempts(), maximumAttempts)) expect(deadLettered).toContain(key);
      // …and none was dead-lettered before its retries ran out. (An attempt may also time out in the worker before
      // the proxy sees it, so the proxy's record alone cannot name every dead letter.)
      for (const letter of letters) {
        expect(letter.attempts).toBe(maximumAttempts);
        expect(letter.lastFailure).toMatch(/HttpNetworkError|HttpStatusError|HttpTimeout/);
      }
      // Every call not dead-lettered reached the partner.
      const beforeRedrive = auditPartner(sandbox.requests(), expectedKeys);
      expect(beforeRedrive.missing.filter((key) => !deadLettered.has(key))).toEqual([]);

      const redriven = await Promise.all(
        letters.map((l) =>
          engine.client.workflow
            .getHandle(l.workflowId)
            .executeUpdate(redriveUpdate, { args: [{ deadLetterId: l.id }] }),
        ),
      );
      expect(redriven.filter((r) => !r.ok)).toEqual([]);
      const leftOpen = (await allDeadLetters(entityIds)).filter((l) => l.redriven === undefined);
      expect(leftOpen).toEqual([]);

      const partner = auditPartner(sandbox.requests(), expectedKeys);
      const acknowledged = sent.reduce((n, s) => n + s.acknowledged.size, 0);
      printChaosFigure('partner-outage', {
        sent: events.length,
        acknowledged,
        inHistory: [...(await entityViews(engine.client, entityIds)).values()].reduce(
          (n, view) => n + (view?.eventCount ?? 0),
          0,
        ),
        actionsExpected: expectedKeys.length,
        delivered: partner.delivered,
        duplicates: partner.duplicates,
        extra: {
          attempts: proxy.attempts().length,
          injected: proxy.attempts().filter((a) => a.outcome === 'injected').length,
          unreachable: proxy.attempts().filter((a) => a.outcome === 'unreachable').length,
          deadLetters: letters.length,
          deadLettersMatchingPolicy: keysExhaustingRetries(proxy.attempts(), maximumAttempts).size,
          downSeconds: DOWN_MS / 1000,
          seed: SEED,
        },
      });
      expect(acknowledged).toBe(events.length);
      expect(partner.missing).toEqual([]);
      expect(partner.appliedTwice).toEqual([]);
      expect(partner.unexpected).toEqual([]);
      expect(partner.delivered).toBe(expectedKeys.length);
    },
    chaosSize(180_000, 600_000),
  );
});
