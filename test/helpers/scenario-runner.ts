/**
 * Plays a scenario (JSONL events) through Temporal and waits until every entity it touched is quiet:
 * used by the simulator-agreement test and by the script that records the replay fixtures.
 */
import fs from 'node:fs/promises';
import type { Client } from '@temporalio/client';
import type { EventDeliverer } from '../../src/client/delivery.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { emittedEvent } from '../../src/rules/emitted-event.js';
import { entityWorkflowId, routeEvent } from '../../src/rules/routing.js';
import type { SimulationEvent } from '../../src/rules/simulate.js';
import { firingsQuery, stateQuery } from '../../src/contract/messages.js';

/** Reads a scenario file: one event per line (with optional `at`). */
export async function readScenario(file: string): Promise<SimulationEvent[]> {
  const text = await fs.readFile(file, 'utf8');
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as SimulationEvent);
}

/** Env for the reference config: sandbox URLs (and mail server) plus placeholder secrets (nothing here is a real secret). */
export function referenceEnv(sandboxUrl: (system: string) => string, smtpUrl?: string): Record<string, string> {
  return {
    ...(smtpUrl !== undefined && { CERTIFICATE_SMTP_URL: smtpUrl }),
    MAILER_URL: sandboxUrl('mailer'),
    PAYOUTS_URL: sandboxUrl('payouts'),
    LEADERBOARD_URL: sandboxUrl('leaderboard'),
    MAILER_TOKEN: 'test-mailer-token',
    PAYOUTS_ACCOUNT: 'acct-test',
    PAYOUTS_USER: 'test',
    PAYOUTS_PASSWORD: 'test-password',
    LEADERBOARD_SIGNING_SECRET: 'whsec_dGVzdC1sZWFkZXJib2FyZC1zZWNyZXQ=',
  };
}

/** Workflow ids of every entity on the task queue (visibility). */
export async function entitiesOn(client: Client, taskQueue: string): Promise<string[]> {
  const ids = new Set<string>();
  for await (const wf of client.workflow.list({ query: `TaskQueue = "${taskQueue}"` })) ids.add(wf.workflowId);
  return [...ids].sort();
}

/** The events of a scenario that ingest would route (the simulator also shows the unroutable ones). */
export function routable(config: CompiledConfig, events: readonly SimulationEvent[]): SimulationEvent[] {
  return events.filter((event) => routeEvent(config, event).ok);
}

/**
 * Gives every entity key in the events a suffix, so scenarios played on one shared server never meet
 * each other's entities (workflow ids are global to the namespace, not per task queue).
 */
export function isolated(
  config: CompiledConfig,
  events: readonly SimulationEvent[],
  suffix: string,
): SimulationEvent[] {
  const keyFields = new Set(
    Object.values(config.entities)
      .map((e) => /^data\.([A-Za-z0-9_]+)$/.exec(e.key)?.[1])
      .filter((f): f is string => f !== undefined),
  );
  return events.map((event) => {
    if (event.data === null || typeof event.data !== 'object' || Array.isArray(event.data)) return event;
    const data = { ...event.data };
    for (const field of keyFields) if (typeof data[field] === 'string') data[field] = `${data[field]}-${suffix}`;
    return { ...event, data };
  });
}

/** Entities the emit actions of an entity's firings went to. */
async function emitTargets(client: Client, config: CompiledConfig, workflowId: string): Promise<string[]> {
  const firings = await client.workflow.getHandle(workflowId).query(firingsQuery);
  const targets: string[] = [];
  for (const planned of firings.flatMap((f) => f.actions)) {
    // A deferred action (after a call with `result`) keeps its templates until it runs: its target is unknown here.
    const event = planned.onFailure || planned.deferred ? undefined : emittedEvent(config, planned, 0);
    const route = event && routeEvent(config, event);
    if (route?.ok) targets.push(entityWorkflowId(route.entity));
  }
  return targets;
}

/** Whether the entity's run has a workflow task scheduled or running (a signal not yet in its state). */
async function workflowTaskPending(client: Client, workflowId: string): Promise<boolean> {
  const { raw } = await client.workflow.getHandle(workflowId).describe();
  return raw.pendingWorkflowTask !== null && raw.pendingWorkflowTask !== undefined;
}

/**
 * Publishes events one by one, each processed, with what it set off (emitted events, their actions), before the
 * next: the simulator hands an emitted event over at once, so an event published while another entity's emit is
 * still on its way (a team's join, then the hunt's cancellation) would reach its entity in another order here.
 * Returns the entities, once no action is pending anywhere.
 */
export async function playScenario(
  config: CompiledConfig,
  delivery: EventDeliverer,
  client: Client,
  taskQueue: string,
  events: readonly SimulationEvent[],
  timeoutMs = 60_000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let ids: string[] = [];
  for (const { at: _at, ...event } of events) {
    await delivery.publish([event]);
    const route = routeEvent(config, event);
    const entity = route.ok ? entityWorkflowId(route.entity) : undefined;
    ids = await settled(config, client, taskQueue, deadline, `after ${event.id}`, entity);
  }
  return ids;
}

/**
 * Waits until every entity on the task queue is quiet (twice in a row) and `entity`, the one the event went to,
 * is listed among them, or throws at `deadline`; returns them.
 */
async function settled(
  config: CompiledConfig,
  client: Client,
  taskQueue: string,
  deadline: number,
  what: string,
  entity: string | undefined,
): Promise<string[]> {
  let quietRounds = 0;
  let ids: string[] = [];
  let busy: string[] = [];
  // Quiet twice in a row: emitted events may start another entity between two looks.
  while (quietRounds < 2) {
    if (Date.now() > deadline)
      throw new Error(`scenario did not settle ${what} (entities: ${ids.join(', ')}; not quiet: ${busy.join(', ')})`);
    await new Promise((resolve) => setTimeout(resolve, 150));
    ids = await entitiesOn(client, taskQueue);
    const views = await Promise.all(
      ids.map((id) =>
        client.workflow
          .getHandle(id)
          .query(stateQuery)
          .catch(() => undefined),
      ),
    );
    // A query answers from the last completed workflow task: a signal the server holds (an emitted event just
    // delivered) is not in the state until the task it scheduled has run.
    const tasks = await Promise.all(ids.map((id) => workflowTaskPending(client, id)));
    const quiet = views.every((v, i) => v !== undefined && v.pendingActions === 0 && !tasks[i]);
    busy = ids.flatMap((id, i) =>
      views[i]?.pendingActions !== 0
        ? [`${id} (${views[i]?.pendingActions ?? 'no answer'} pending)`]
        : tasks[i]
          ? [`${id} (workflow task pending)`]
          : [],
    );
    // Visibility may lag behind a just-started entity: every emit target must be listed too.
    const targets = quiet ? (await Promise.all(ids.map((id) => emitTargets(client, config, id)))).flat() : [];
    const listed = [...targets, ...(entity !== undefined ? [entity] : [])].every((t) => ids.includes(t));
    quietRounds = quiet && listed ? quietRounds + 1 : 0;
  }
  return ids;
}
