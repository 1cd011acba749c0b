/**
 * Every activity the engine's worker registers. Workflows import this module as types only:
 * `import type { EngineActivities } from '../activities/index.js'`.
 */
import type { Logger } from 'pino';
import { createEngineActivities, type EngineActivityDeps } from './engine-activities.js';
import { createHttpConnectorActivities } from './http-connector.js';
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
}

/** Creates all activities bound to their dependencies. */
export function createActivities(deps: ActivityDeps) {
  return {
    ...createEngineActivities(deps),
    ...createHttpConnectorActivities({ logger: deps.logger, env: deps.env, fetch: deps.fetch }),
    ...createWorkflowActionActivities({ logger: deps.logger, ...(deps.client && { client: deps.client }) }),
    ...createRedriveActivities(),
  };
}

export type EngineActivities = ReturnType<typeof createActivities>;
