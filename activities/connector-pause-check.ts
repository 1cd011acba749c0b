/**
 * The connector activity's check for a paused connector (issue 18): the pause record
 * `hunt.pause/connector/<name>` is running while the connector is paused. Read through the worker's own client
 * with one describe, remembered for PAUSE_CHECK_TTL_MS per connector, so a busy connector costs one read a
 * second per worker. `hunt connectors pause` waits that long before it says the pause is in effect.
 */
import type { Context } from '@temporalio/activity';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import {
  CONNECTOR_PAUSED_FAILURE,
  PAUSE_CHECK_TTL_MS,
  PAUSE_WORKFLOW_TYPE,
  pauseWorkflowId,
} from '../src/contract/operations.js';
import { connectorCallsHeld } from '../src/metrics/engine-metrics.js';

const known = new Map<string, { paused: boolean; until: number }>();

/** Whether `connector` is paused, as its pause record says. */
export async function connectorIsPaused(client: Client, connector: string, now = Date.now()): Promise<boolean> {
  const cached = known.get(connector);
  if (cached && cached.until > now) return cached.paused;
  let paused: boolean;
  try {
    const described = await client.workflow.getHandle(pauseWorkflowId('connector', connector)).describe();
    paused = described.status.name === 'RUNNING';
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    paused = false;
  }
  known.set(connector, { paused, until: now + PAUSE_CHECK_TTL_MS });
  return paused;
}

/**
 * Throws the non-retryable `ConnectorPaused` failure when the activity's connector is paused; the entity's
 * action runner then waits for the resume (workflows/paused-calls.ts). No client (a mock environment): no check.
 */
export async function refuseWhenPaused(context: Context, connector: string): Promise<void> {
  let client: Client;
  try {
    client = context.client;
  } catch {
    return;
  }
  if (!(await connectorIsPaused(client, connector))) return;
  connectorCallsHeld.inc({ connector });
  throw ApplicationFailure.create({
    type: CONNECTOR_PAUSED_FAILURE,
    message: `connector ${connector} is paused (hunt connectors resume ${connector}); the call waits, it is not lost`,
    nonRetryable: true,
  });
}

let rules: { ids: Promise<string[]>; until: number } | undefined;

/** The ids of the rules paused now (running rule pause records in visibility), remembered for a second. */
export async function pausedRuleIds(client: Client, now = Date.now()): Promise<string[]> {
  if (rules && rules.until > now) return await rules.ids;
  const query = `WorkflowType = "${PAUSE_WORKFLOW_TYPE}" AND HuntOperation = "rule-pause" AND ExecutionStatus = "Running"`;
  const ids = (async () => {
    const out: string[] = [];
    for await (const execution of client.workflow.list({ query })) {
      const name = (execution.memo as { name?: unknown } | undefined)?.name;
      if (typeof name === 'string') out.push(name);
    }
    return out.sort();
  })();
  rules = { ids, until: now + PAUSE_CHECK_TTL_MS };
  void ids.catch(() => (rules = undefined));
  return await ids;
}
