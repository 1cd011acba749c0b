/**
 * One replayed firing (`hunt replay`): the actions a rule of the current configuration would have run on a
 * recorded event, performed in order with replay-marked idempotency keys. It never touches the entity's
 * workflow, so no event is folded into an entity's state twice; `set` and `end` actions are left out when the
 * replay is planned. Its workflow id is the firing's (`hunt.replay/<entity>:<event>:<rule>`) and is started at
 * most once unless it failed, so a second replay of the same events calls nothing.
 */
import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { EngineActivities } from '../activities/index.js';
import type { ReplayFiringInput, ReplayFiringResult } from '../src/contract/operations.js';
import { connectorActivityOptions } from './connector-options.js';

const emitOptions = {
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', maximumInterval: '1 minute' },
} as const;

/** Performs a replayed firing's actions in order; a call that fails for good fails the replay of this firing. */
export async function replayFiringWorkflow(input: ReplayFiringInput): Promise<ReplayFiringResult> {
  let performed = 0;
  for (const planned of input.actions) {
    if (planned.kind === 'call') {
      const { callConnector } = proxyActivities<EngineActivities>({
        ...connectorActivityOptions(planned.connector, workflowInfo().taskQueue),
        summary: `replay ${input.ruleId} → ${planned.connector.name}`,
      });
      await callConnector({
        entity: input.entity,
        ruleId: input.ruleId,
        eventId: input.eventId,
        idempotencyKey: planned.idempotencyKey,
        connector: planned.connector,
        action: planned.action,
      });
    } else {
      const { emitEvents } = proxyActivities<EngineActivities>({
        ...emitOptions,
        summary: `replay ${input.ruleId} → emit ${planned.event.type}`,
      });
      await emitEvents({ events: [planned.event], configVersion: input.configVersion });
    }
    performed++;
  }
  return { performed };
}
