/**
 * Scenario 7 — poison events: an event whose reducer fails (a string where a number is added) or whose
 * rule template fails (a missing key) is recorded as rejected with the reason, changes nothing, and does
 * not wedge its entity: the events after it still apply and their actions still run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineEvent } from '../../src/rules/types.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { eventsQuery, stateQuery, tracesQuery } from '../../src/contract/messages.js';
import { startTestEngine, uniqueName, type TestEngine } from '../helpers/temporal.js';
import { chaosConfig } from './harness/chaos-config.js';
import { printChaosFigure } from './harness/chaos-figure.js';
import { chaosSize } from './harness/chaos-scale.js';
import { auditLogs, readEntityLog } from './harness/entity-history.js';
import { entitiesBehind } from './harness/entity-progress.js';
import { sendBurst } from './harness/event-burst.js';
import { eventually } from './harness/eventually.js';
import { auditPartner, expectedKey } from './harness/partner-audit.js';

const ENTITIES = chaosSize(5, 50);
/** Rounds per entity; each round is scan, good score, reducer poison, template poison (< 100 recent events kept). */
const ROUNDS = chaosSize(4, 10);

let sandbox: Sandbox;
let engine: TestEngine;

beforeAll(async () => {
  sandbox = await startSandbox({ systems: ['partner'] });
  engine = await startTestEngine(chaosConfig(), { env: { PARTNER_URL: sandbox.url('partner') } });
});
afterAll(async () => {
  await engine?.stop();
  await sandbox?.close();
});

type Kind = 'scan' | 'good' | 'reducer-poison' | 'template-poison';

function roundEvents(teamId: string, round: number): Array<{ kind: Kind; event: EngineEvent }> {
  const make = (kind: Kind, type: string, data: Record<string, unknown>) => ({
    kind,
    event: {
      id: `${teamId}-r${round}-${kind}`,
      source: 'chaos',
      type,
      specversion: '1.0' as const,
      data: data as never,
    },
  });
  return [
    make('scan', 'scanned', { teamId, n: round }),
    make('good', 'scored', { teamId, points: 2, tag: { name: `tag-${round}` } }),
    make('reducer-poison', 'scored', { teamId, points: 'lots', tag: { name: 'never' } }),
    make('template-poison', 'scored', { teamId, points: 1, tag: {} }),
  ];
}

describe('scenario 7: poison events', () => {
  it(
    'rejects the poison with its reason and keeps applying the events after it',
    async () => {
      const prefix = uniqueName('poison');
      const teams = Array.from({ length: ENTITIES }, (_, t) => `${prefix}-t${t}`);
      const planned = teams.flatMap((teamId) =>
        Array.from({ length: ROUNDS }, (_, round) => roundEvents(teamId, round)).flat(),
      );
      // Per entity in order, entities in parallel: each entity sees poison between good events.
      const results = await Promise.all(
        teams.map((teamId) =>
          sendBurst(
            engine.delivery,
            planned.filter((p) => (p.event.data as { teamId: string }).teamId === teamId).map((p) => p.event),
            { concurrency: 1 },
          ),
        ),
      );
      const acknowledged = new Set(results.flatMap((r) => [...r.acknowledged]));
      const workflowIds = teams.map((t) => `team/${t}`);
      // Accepted per entity: the scan and the good score of each round.
      await eventually(
        () => entitiesBehind(engine.client, new Map(workflowIds.map((id) => [id, ROUNDS * 2]))),
        (behind) => behind.length === 0,
        { timeoutMs: 120_000, what: 'every entity accepting its good events' },
      );

      for (const teamId of teams) {
        const handle = engine.client.workflow.getHandle(`team/${teamId}`);
        const view = await handle.query(stateQuery);
        expect(view.state).toMatchObject({
          scans: ROUNDS,
          score: ROUNDS * 2,
          tags: Array.from({ length: ROUNDS }, (_, r) => `tag-${r}`),
        });
        const recorded = new Map((await handle.query(eventsQuery)).map((e) => [e.id, e]));
        for (const { kind, event } of planned.filter((p) => (p.event.data as { teamId: string }).teamId === teamId)) {
          const entry = recorded.get(event.id);
          if (kind === 'scan' || kind === 'good') expect(entry?.status, event.id).toBe('accepted');
          if (kind === 'reducer-poison') {
            expect(entry).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/not a number/) });
          }
          if (kind === 'template-poison') {
            expect(entry).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/No such key: name/) });
          }
        }
        const [trace] = await handle.query(tracesQuery, { eventId: `${teamId}-r0-template-poison` });
        expect(trace).toMatchObject({
          status: 'rejected',
          reason: expect.stringMatching(/^rule tag: .*No such key: name/),
        });
        // The trace names the rule whose action failed, and the clause.
        expect(trace!.verdicts).toContainEqual(
          expect.objectContaining({ ruleId: 'tag', fired: false, clause: 'then' }),
        );
      }

      const scans = planned.filter((p) => p.kind === 'scan').map((p) => p.event);
      const expectedKeys = scans.map((e) =>
        expectedKey(`team/${(e.data as { teamId: string }).teamId}`, e.id, 'notify'),
      );
      const partner = await eventually(
        async () => auditPartner(sandbox.requests(), expectedKeys),
        (audit) => audit.missing.length === 0,
        { timeoutMs: 60_000, what: 'every scan action applied' },
      );
      const logs = await Promise.all(workflowIds.map((id) => readEntityLog(engine.client, id)));
      const history = auditLogs(
        logs,
        acknowledged,
        planned.map((p) => p.event.id),
      );
      printChaosFigure('poison-event', {
        sent: planned.length,
        acknowledged: acknowledged.size,
        inHistory: history.onceInHistory,
        actionsExpected: expectedKeys.length,
        delivered: partner.delivered,
        duplicates: partner.duplicates,
        extra: { poison: planned.filter((p) => p.kind.endsWith('poison')).length },
      });
      expect(acknowledged.size).toBe(planned.length);
      expect(history.onceInHistory).toBe(planned.length);
      expect(partner.appliedTwice).toEqual([]);
      expect(partner.unexpected).toEqual([]);
    },
    chaosSize(150_000, 400_000),
  );
});
