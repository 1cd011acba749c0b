/**
 * Every activity the engine's worker registers. Workflows import this module as types only:
 * `import type { EngineActivities } from '../activities/index.js'`.
 */
import type { Logger } from 'pino';
import { createEngineActivities, type EngineActivityDeps } from './engine-activities.js';
import { createHttpConnectorActivities, type CallInput, type CallResult } from './http-connector.js';
import { createModuleConnectorCall } from './module-connector.js';
import type { DefinedConnector } from '../src/sdk/define-connector.js';
import { createWorkflowActionActivities } from './workflow-actions.js';
import { createRedriveActivities } from './redrive-activities.js';
import type { Client } from '@temporalio/client';

export interface ActivityDeps extends EngineActivityDeps {
  logger: Logger;
  /** Environment for `{{ env.X }}` in connector settings (secrets stay out of workflow history). */
  env: Record<string, string | undefined>;
  fetch?: typeof fetch;
  /** The client `start` / `signal` actions reach Temporal with. */
  client?: Client;
  /** The TypeScript connectors (`connectors.<name>.module`) loaded at start, by connector name. */
  connectorModules?: ReadonlyMap<string, DefinedConnector>;
}

/** Creates all activities bound to their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createEngineActivities(deps),
    ...connectorActivities(deps),
    ...createWorkflowActionActivities({ logger: deps.logger, ...(deps.client && { client: deps.client }) }),
    ...createRedriveActivities(),
  };
}

/**
 * `callConnector` runs either kind of connector: the workflow schedules one activity with the connector's
 * options whatever it is, so both kinds share retries, timeouts, flow control, dead letters and `onFailure`.
 */
function connectorActivities(deps: ActivityDeps): { callConnector: (input: CallInput) => Promise<CallResult> } {
  const http = createHttpConnectorActivities({ logger: deps.logger, env: deps.env, fetch: deps.fetch });
  const callModule = createModuleConnectorCall({
    logger: deps.logger,
    env: deps.env,
    modules: deps.connectorModules ?? new Map(),
  });
  return {
    callConnector: (input) => (input.connector.module ? callModule(input) : http.callConnector(input)),
  };
}

export type EngineActivities = ReturnType<typeof createActivities>;
