/**
 * Steady load through the cluster's nginx, and the audit of one fault phase: senders that behave like real
 * ones (retry refused connections, 502/504 from the load balancer, and 503 after its Retry-After), each
 * event's outcome kept, then the chaos table's figures from the entity histories and the partner.
 */
import type { Client } from '@temporalio/client';
import { printChaosFigure } from '../reliability/harness/chaos-figure.js';
import { auditLogs, readEntityLog } from '../reliability/harness/entity-history.js';
import { entitiesBehind } from '../reliability/harness/entity-progress.js';
import { burstEntities, scanBurst } from '../reliability/harness/event-burst.js';
import { eventually } from '../reliability/harness/eventually.js';
import { auditPartner, expectedKey } from '../reliability/harness/partner-audit.js';
import type { Sandbox } from '../../src/sandbox/sandbox-server.js';
import type { EngineEvent } from '../../src/rules/types.js';

export interface SendOutcome {
  status: number;
  /** Answers that were retried: 502/503/504 from nginx or ingest, and transport errors. */
  retried: number;
  acknowledgedAt?: number;
}

/** Posts one event until a 2xx (or another final status, or the deadline). */
async function postUntilAcknowledged(base: string, event: EngineEvent, deadline: number): Promise<SendOutcome> {
  const outcome: SendOutcome = { status: 0, retried: 0 };
  for (;;) {
    let wait = 250;
    try {
      const response = await fetch(`${base}/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/cloudevents+json' },
        body: JSON.stringify(event),
        signal: AbortSignal.timeout(30_000),
      });
      await response.arrayBuffer();
      outcome.status = response.status;
      if (response.ok) {
        outcome.acknowledgedAt = Date.now();
        return outcome;
      }
      if (![502, 503, 504].includes(response.status)) return outcome;
      const retryAfter = Number(response.headers.get('retry-after'));
      if (retryAfter > 0) wait = Math.min(retryAfter * 1000, 2_000);
    } catch {
      // Refused, reset or timed out: the event may or may not be in; sending it again is safe (dedupe by id).
    }
    outcome.retried++;
    if (Date.now() + wait > deadline) return outcome;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

export interface Load {
  events: EngineEvent[];
  outcomes: Map<string, SendOutcome>;
  /** Resolves when every event has a final outcome. */
  done: Promise<void>;
}

/** Sends `entities × perEntity` scanned events through `base` at about `perSecond`, over `lanes` senders. */
export function startLoad(options: {
  base: string;
  prefix: string;
  entities: number;
  perEntity: number;
  perSecond: number;
  lanes?: number;
  deadlineMs?: number;
}): Load {
  const events = scanBurst(options.prefix, options.entities, options.perEntity);
  const outcomes = new Map<string, SendOutcome>();
  const lanes = options.lanes ?? 10;
  const deadline = Date.now() + (options.deadlineMs ?? 300_000);
  const started = Date.now();
  let next = 0;
  const lane = async () => {
    while (next < events.length) {
      const index = next++;
      // Paced: event i leaves no earlier than i / perSecond after the start.
      const due = started + (index * 1000) / options.perSecond;
      if (due > Date.now()) await new Promise((resolve) => setTimeout(resolve, due - Date.now()));
      const event = events[index]!;
      outcomes.set(event.id, await postUntilAcknowledged(options.base, event, deadline));
    }
  };
  return { events, outcomes, done: Promise.all(Array.from({ length: lanes }, lane)).then(() => undefined) };
}

/** Waits until a share of the load is acknowledged (the moment to inject a fault). */
export function acknowledgedShare(load: Load, share: number): Promise<number> {
  return eventually(
    async () => [...load.outcomes.values()].filter((o) => o.acknowledgedAt !== undefined).length,
    (n) => n >= load.events.length * share,
    { timeoutMs: 120_000, intervalMs: 50, what: `${share * 100}% of the load acknowledged` },
  );
}

export interface PhaseAudit {
  sent: number;
  acknowledged: number;
  inHistory: number;
  /** Acknowledged events absent from every history. */
  lost: string[];
  /** Entities whose state folded an event twice (or missed one): count ≠ events sent to it. */
  doubledOrMissing: Array<{ workflowId: string; eventCount: number | undefined }>;
  /** Signals of an event already delivered (the sender retried after losing the answer): absorbed by dedupe. */
  redelivered: number;
  actionsExpected: number;
  delivered: number;
  appliedTwice: string[];
  unexpected: string[];
  duplicates: number;
  retried: number;
  line: string;
}

/** Settles and audits one phase against the entity histories and the partner; prints its chaos figure. */
export async function auditPhase(
  name: string,
  load: Load,
  client: Client,
  partner: Sandbox,
  options: { prefix: string; entities: number; perEntity: number; extra?: Record<string, number | string> },
): Promise<PhaseAudit> {
  const acknowledged = [...load.outcomes].filter(([, o]) => o.status >= 200 && o.status < 300).map(([id]) => id);
  const ids = burstEntities(options.prefix, options.entities);
  const behind = await eventually(
    () => entitiesBehind(client, new Map(ids.map((id) => [id, options.perEntity]))),
    (rows) => rows.length === 0,
    { timeoutMs: 300_000, intervalMs: 1_000, what: `${name}: every entity holding all its events once` },
  ).catch(() => entitiesBehind(client, new Map(ids.map((id) => [id, options.perEntity]))));
  const keys = load.events.map((e) => expectedKey(`team/${(e.data as { teamId: string }).teamId}`, e.id, 'notify'));
  // The partner serves every phase: audit only this phase's keys.
  const requests = () => partner.requests().filter((r) => r.idempotencyKey?.startsWith(`team/${options.prefix}-`));
  const partnerAudit = await eventually(
    async () => auditPartner(requests(), keys),
    (audit) => audit.missing.length === 0,
    { timeoutMs: 120_000, intervalMs: 1_000, what: `${name}: every action applied` },
  ).catch(() => auditPartner(requests(), keys));
  const logs = await Promise.all(ids.map((id) => readEntityLog(client, id)));
  const history = auditLogs(
    logs,
    acknowledged,
    load.events.map((e) => e.id),
  );
  const outcomes = [...load.outcomes.values()];
  const audit = {
    sent: load.events.length,
    acknowledged: acknowledged.length,
    inHistory: acknowledged.length - history.missing.length,
    lost: history.missing,
    doubledOrMissing: behind,
    redelivered: history.repeated.reduce((n, r) => n + r.count - 1, 0),
    actionsExpected: keys.length,
    delivered: partnerAudit.delivered,
    appliedTwice: partnerAudit.appliedTwice,
    unexpected: partnerAudit.unexpected,
    duplicates: partnerAudit.duplicates,
    retried: outcomes.reduce((n, o) => n + o.retried, 0),
  };
  const line = printChaosFigure(`cluster ${name}`, {
    sent: audit.sent,
    acknowledged: audit.acknowledged,
    inHistory: audit.inHistory,
    actionsExpected: audit.actionsExpected,
    delivered: audit.delivered,
    duplicates: audit.duplicates,
    extra: {
      lost: audit.lost.length,
      doubled: audit.doubledOrMissing.length + audit.appliedTwice.length,
      senderRetries: audit.retried,
      redeliveredSignals: audit.redelivered,
      ...options.extra,
    },
  });
  return { ...audit, line };
}
