/**
 * What operator tools share with the workflows that record and carry out their operations (issue 18):
 * replays of recorded events through chosen rules, connector pauses. Workflow ids, types and inputs.
 */
import type { CompiledAction, CompiledConnector } from '../config/compiled.js';
import type { EngineEvent, EntityRef } from '../rules/types.js';

/** Workflow type of one replayed firing (`hunt replay`). */
export const REPLAY_FIRING_WORKFLOW_TYPE = 'replayFiringWorkflow';

/** Idempotency keys of replayed actions start with this: the receiving system can tell a replay from a live call. */
export const REPLAY_KEY_PREFIX = 'replay:';

/** The replay key of a live action's idempotency key. */
export function replayKey(idempotencyKey: string): string {
  return `${REPLAY_KEY_PREFIX}${idempotencyKey}`;
}

/**
 * Workflow id of one replayed firing: `hunt.replay/<entity>:<eventId>:<ruleId>[@deadline]`, the firing's
 * action keys without their index. Started at most once (unless it failed), so a second replay calls nothing.
 */
export function replayFiringWorkflowId(firingKey: string): string {
  return `hunt.replay/${firingKey}`;
}

/** One action of a replayed firing, ready to perform (templates rendered, except `env.*`). */
export type ReplayAction =
  | {
      kind: 'call';
      idempotencyKey: string;
      connector: CompiledConnector;
      action: Extract<CompiledAction, { kind: 'call' }>;
    }
  | { kind: 'emit'; idempotencyKey: string; event: EngineEvent };

/** Start input of `replayFiringWorkflow`. */
export interface ReplayFiringInput {
  /** The `hunt replay` run this firing belongs to (one id per command run). */
  replayId: string;
  entity: EntityRef;
  ruleId: string;
  /** The recorded event that fired the rule (for a timer firing: the event that armed it). */
  eventId: string;
  /** Engine time the rule fired in the replay (the event's arrival, or the timer's deadline). */
  firedAt: number;
  /** Config version the replay ran (emitted events are checked against it). */
  configVersion: string;
  actions: ReplayAction[];
}

/** What a replayed firing did. */
export interface ReplayFiringResult {
  performed: number;
}
