/** The event an `emit` action delivers: the same envelope in the workflow and in the simulator. */
import type { CompiledConfig } from '../config/compiled.js';
import type { EngineEvent, PlannedAction } from './types.js';

/**
 * Builds the event of a planned `emit` action at engine time `at`. Its id is the action's
 * idempotency key, so a retried or replayed emit is deduped by the target entity. The source is the
 * action's, else the event type's first configured source, else `engine`.
 */
export function emittedEvent(config: CompiledConfig, planned: PlannedAction, at: number): EngineEvent | undefined {
  const action = planned.action;
  if (action.kind !== 'emit') return undefined;
  return {
    id: planned.idempotencyKey,
    source: action.source ?? config.events[action.type]?.sources[0] ?? 'engine',
    type: action.type,
    specversion: '1.0',
    ...(typeof action.subject === 'string' && { subject: action.subject }),
    time: new Date(at).toISOString(),
    data: action.data,
  };
}
