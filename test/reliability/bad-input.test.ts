/**
 * Scenario 5 — bad input at volume: generated malformed and hostile requests to POST /events on a real
 * ingest server (real delivery to Temporal behind it), with good events sent in between. Proves: no
 * crash, no 5xx other than 503 with Retry-After, no hostile event accepted, live heap flat afterwards,
 * and every good event acknowledged lands in its entity.
 */
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { startTestEngine, uniqueName, type TestEngine } from '../helpers/temporal.js';
import { chaosConfig } from './harness/chaos-config.js';
import { printChaosFigure } from './harness/chaos-figure.js';
import { chaosSize } from './harness/chaos-scale.js';
import { auditLogs, readEntityLog } from './harness/entity-history.js';
import { entitiesBehind } from './harness/entity-progress.js';
import { eventually } from './harness/eventually.js';
import { liveHeapBytes } from './harness/heap-probe.js';
import { hostileRequest, oversizedRequest, type HostileRequest } from './harness/hostile-requests.js';
import { auditPartner, expectedKey } from './harness/partner-audit.js';

const HOSTILE = chaosSize(2_000, 10_000);
/** One good event after every this many hostile requests. */
const GOOD_EVERY = 20;
const GOOD_TEAMS = 10;
const SEED = Number(process.env.CHAOS_SEED ?? 424_242);
/** Live heap may grow this much from the warm-up to the end (caches warm, JIT); a leak per request would not fit. */
const HEAP_SLACK_BYTES = 48 * 1024 * 1024;

let sandbox: Sandbox;
let engine: TestEngine;
let app: FastifyInstance;
let base: string;

beforeAll(async () => {
  sandbox = await startSandbox({ systems: ['partner'] });
  const config = chaosConfig();
  engine = await startTestEngine(config, { env: { PARTNER_URL: sandbox.url('partner') } });
  app = buildIngestServer({
    config,
    delivery: engine.delivery,
    client: engine.client,
    logger: pino({ level: 'silent' }),
    env: {},
  });
  await app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await app?.close();
  await engine?.stop();
  await sandbox?.close();
});

async function post(request: HostileRequest): Promise<{ status: number; retryAfter: string | null }> {
  const response = await fetch(`${base}${request.path}`, {
    method: 'POST',
    headers: request.headers,
    body: request.body,
  });
  await response.arrayBuffer();
  return { status: response.status, retryAfter: response.headers.get('retry-after') };
}

describe('scenario 5: bad input at volume', () => {
  it(
    'answers every hostile request with a 4xx (or 503 + Retry-After), stays flat, and lets the good events land',
    async () => {
      const prefix = uniqueName('bad');
      const requests = [
        ...fc.sample(hostileRequest, { numRuns: HOSTILE - 5, seed: SEED }),
        ...Array.from({ length: 5 }, () => oversizedRequest()),
      ];
      const good = Array.from({ length: Math.ceil(HOSTILE / GOOD_EVERY) }, (_, i) => ({
        specversion: '1.0',
        id: `${prefix}-good-${i}`,
        source: 'chaos',
        type: 'scanned',
        data: { teamId: `${prefix}-t${i % GOOD_TEAMS}`, n: i },
      }));
      const statuses = new Map<number, number>();
      const serverErrors: Array<{ kind: string; status: number; retryAfter: string | null }> = [];
      const acceptedHostile: string[] = [];
      const acknowledged = new Set<string>();

      let next = 0;
      const lane = async (until: number) => {
        while (next < until) {
          const index = next++;
          const request = requests[index]!;
          const answer = await post(request);
          statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
          if (answer.status >= 500 && !(answer.status === 503 && answer.retryAfter !== null)) {
            serverErrors.push({ kind: request.kind, ...answer });
          }
          if (answer.status < 300) acceptedHostile.push(`${request.kind}: ${String(request.body).slice(0, 200)}`);
          if (index % GOOD_EVERY === 0) {
            const event = good[index / GOOD_EVERY]!;
            const sent = await post({
              path: '/events',
              headers: { 'content-type': 'application/cloudevents+json' },
              body: JSON.stringify(event),
              kind: 'good',
            });
            if (sent.status === 202) acknowledged.add(event.id);
          }
        }
      };
      const sendUpTo = (until: number) => Promise.all(Array.from({ length: 16 }, () => lane(until)));
      // Warm up (JIT, caches, connection pools) on the first tenth before the baseline, so growth means retention.
      await sendUpTo(Math.floor(requests.length / 10));
      const heapAfterWarmUp = await liveHeapBytes();
      await sendUpTo(requests.length);
      await engine.delivery.flush();
      const heapAtEnd = await liveHeapBytes();

      const health = await fetch(`${base}/healthz`);
      expect(health.status).toBe(200);

      const perTeam = new Map<string, number>();
      for (const event of good.filter((e) => acknowledged.has(e.id))) {
        const id = `team/${event.data.teamId}`;
        perTeam.set(id, (perTeam.get(id) ?? 0) + 1);
      }
      await eventually(
        () => entitiesBehind(engine.client, perTeam),
        (behind) => behind.length === 0,
        { timeoutMs: 120_000, what: 'every acknowledged good event applied' },
      );
      const logs = await Promise.all([...perTeam.keys()].map((id) => readEntityLog(engine.client, id)));
      const history = auditLogs(
        logs,
        acknowledged,
        good.map((e) => e.id),
      );
      const expectedKeys = good
        .filter((e) => acknowledged.has(e.id))
        .map((e) => expectedKey(`team/${e.data.teamId}`, e.id, 'notify'));
      const partner = await eventually(
        async () => auditPartner(sandbox.requests(), expectedKeys),
        (audit) => audit.missing.length === 0,
        { timeoutMs: 60_000, what: 'every good event action applied' },
      );

      printChaosFigure('bad-input', {
        sent: requests.length + good.length,
        acknowledged: acknowledged.size,
        inHistory: history.onceInHistory,
        actionsExpected: expectedKeys.length,
        delivered: partner.delivered,
        duplicates: partner.duplicates,
        extra: {
          hostile: requests.length,
          statuses: [...statuses]
            .sort(([a], [b]) => a - b)
            .map(([s, n]) => `${s}:${n}`)
            .join(','),
          heapGrowthMiB: ((heapAtEnd - heapAfterWarmUp) / 1024 / 1024).toFixed(1),
          seed: SEED,
        },
      });
      expect(serverErrors).toEqual([]);
      expect(acceptedHostile).toEqual([]);
      expect(heapAtEnd - heapAfterWarmUp).toBeLessThan(HEAP_SLACK_BYTES);
      expect(acknowledged.size).toBe(good.length);
      expect(history.missing).toEqual([]);
      expect(history.repeated).toEqual([]);
      expect(partner.appliedTwice).toEqual([]);
    },
    chaosSize(240_000, 600_000),
  );
});
