/**
 * Scenario 2 — the Temporal server restarted mid-burst (a dev server with its persistent database,
 * started by the test in a temp dir on random ports). Proves: while it is down the ingest API answers
 * 503 with Retry-After; sources that retry get every event in; every event acknowledged before the
 * restart is in its entity's history after it; each event is applied once; every action reaches the
 * partner once. Runs with `npm run chaos` only.
 */
import fs from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { EntityDelivery } from '../../src/client/delivery.js';
import { startDevServer, type DevServer } from '../../src/dev/dev-server.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import { startSandbox, type Sandbox } from '../../src/sandbox/sandbox-server.js';
import { chaosConfig, chaosConfigPath } from './harness/chaos-config.js';
import { printChaosFigure } from './harness/chaos-figure.js';
import { readEntityLog } from './harness/entity-history.js';
import { entitiesBehind } from './harness/entity-progress.js';
import { scanBurst } from './harness/event-burst.js';
import { eventually } from './harness/eventually.js';
import { freePort } from '../helpers/free-port.js';
import { auditPartner, expectedKey } from './harness/partner-audit.js';
import { postUntilAcknowledged, type RetriedPost } from './harness/retrying-sender.js';
import { startWorkerProcess, type WorkerProcess } from './harness/worker-process.js';

const ENTITIES = 100;
const PER_ENTITY = 10;
const DOWN_MS = 15_000;

let stateDir: string;
let sandbox: Sandbox;
let server: DevServer | undefined;
let worker: WorkerProcess | undefined;
let connection: Connection | undefined;
let app: FastifyInstance | undefined;
const logger = pino({ level: 'silent' });

beforeAll(async () => {
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-chaos-restart-'));
  sandbox = await startSandbox({ systems: ['partner'] });
});
afterAll(async () => {
  await app?.close();
  await worker?.stop();
  await connection?.close();
  await server?.stop();
  await sandbox?.close();
  await fs.rm(stateDir, { recursive: true, force: true });
});

describe('scenario 2: Temporal server restarted mid-burst', () => {
  it('answers 503 + Retry-After while down, takes everything from retrying sources, and keeps what it acknowledged', async () => {
    const temporal = inject('temporal');
    if ('error' in temporal) throw new Error(temporal.error);
    const ports = { port: await freePort(), uiPort: await freePort() };
    const startServer = () =>
      startDevServer({
        stateDir,
        ...ports,
        namespace: 'default',
        logger,
        env: { TEMPORAL_CLI_PATH: temporal.cliPath },
        allowDownload: false,
      });
    server = await startServer();
    const address = server.address;

    const config = chaosConfig();
    const taskQueue = 'chaos-restart';
    worker = startWorkerProcess({
      temporalAddress: address,
      taskQueue,
      configPath: chaosConfigPath,
      stateDir,
      env: { PARTNER_URL: sandbox.url('partner') },
    });
    await worker.ready();
    connection = await Connection.connect({ address });
    const client = new Client({ connection });
    const delivery = new EntityDelivery({ client, taskQueue, config, sendTimeoutMs: 3_000, retryAfterSeconds: 2 });
    app = buildIngestServer({ config, delivery, client, logger, env: {} });
    await app.listen({ host: '127.0.0.1', port: 0 });
    const base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;

    const prefix = 'restart';
    const events = scanBurst(prefix, ENTITIES, PER_ENTITY);
    const outcomes = new Map<string, RetriedPost>();
    let stoppedAt = Number.POSITIVE_INFINITY;
    let next = 0;
    const deadline = Date.now() + 600_000;
    const lane = async () => {
      while (next < events.length) {
        const event = events[next++]!;
        outcomes.set(event.id, await postUntilAcknowledged(base, event, { deadline, maxWaitMs: 5_000 }));
      }
    };
    const sending = Promise.all(Array.from({ length: 20 }, lane));
    await eventually(
      async () => outcomes.size,
      (n) => n >= events.length * 0.3,
      { timeoutMs: 300_000, intervalMs: 100, what: 'a third of the burst acknowledged' },
    );
    await server.stop();
    stoppedAt = Date.now();
    const ackedBeforeStop = [...outcomes].filter(
      ([, o]) => o.acknowledgedAt !== undefined && o.acknowledgedAt < stoppedAt,
    );
    // While it is down, ingest must say so: 503 with Retry-After.
    const probe = await fetch(`${base}/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ ...events[0]!, id: 'probe-while-down' }),
    });
    const probeRetryAfter = probe.headers.get('retry-after');
    await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
    server = await startServer();
    await sending;

    const acknowledged = [...outcomes].filter(([, o]) => o.status >= 200 && o.status < 300).map(([id]) => id);
    const workflowIds = Array.from({ length: ENTITIES }, (_, t) => `team/${prefix}-t${t}`);
    await eventually(
      () => entitiesBehind(client, new Map(workflowIds.map((id) => [id, PER_ENTITY]))),
      (behind) => behind.length === 0,
      { timeoutMs: 300_000, intervalMs: 2_000, what: 'every entity holding all its events once' },
    );
    const logs = await Promise.all(workflowIds.map((id) => readEntityLog(client, id)));
    const inLog = new Set(logs.flatMap((l) => l.events.map((e) => e.eventId)));
    const expectedKeys = events.map((e) =>
      expectedKey(`team/${(e.data as { teamId: string }).teamId}`, e.id, 'notify'),
    );
    const partner = await eventually(
      async () => auditPartner(sandbox.requests(), expectedKeys),
      (audit) => audit.missing.length === 0,
      { timeoutMs: 300_000, intervalMs: 2_000, what: 'every action applied' },
    );
    const all = [...outcomes.values()];
    printChaosFigure('temporal-restart', {
      sent: events.length,
      acknowledged: acknowledged.length,
      inHistory: acknowledged.filter((id) => inLog.has(id)).length,
      actionsExpected: expectedKeys.length,
      delivered: partner.delivered,
      duplicates: partner.duplicates,
      extra: {
        ackedBeforeRestart: ackedBeforeStop.length,
        answered503: all.reduce((n, o) => n + o.unavailable, 0),
        networkErrors: all.reduce((n, o) => n + o.networkErrors, 0),
        downSeconds: DOWN_MS / 1000,
      },
    });

    expect(probe.status).toBe(503);
    expect(probeRetryAfter).toMatch(/^\d+$/);
    expect(all.reduce((n, o) => n + o.unavailableWithoutRetryAfter, 0)).toBe(0);
    expect(acknowledged.length).toBe(events.length);
    expect(ackedBeforeStop.filter(([id]) => !inLog.has(id))).toEqual([]);
    expect(acknowledged.filter((id) => !inLog.has(id))).toEqual([]);
    expect(partner.appliedTwice).toEqual([]);
    expect(partner.unexpected).toEqual([]);
    expect(partner.delivered).toBe(expectedKeys.length);
  }, 900_000);
});
