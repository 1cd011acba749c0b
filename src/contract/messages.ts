/**
 * Message definitions of the entity workflow: the contract between callers (ingest, client SDK,
 * CLI) and the workflow. Module-level constants, importable from both sides.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { CompiledConfig, JsonObject } from '../config/compiled.js';
import type {
  DecisionTrace,
  DeliveryResult,
  EngineEvent,
  Firing,
  MachineSnapshot,
  PlannedAction,
} from '../rules/types.js';
import type { CallResults } from '../rules/call-result.js';
import type { WorkflowWatch } from '../rules/workflow-result.js';

export const ENTITY_WORKFLOW_TYPE = 'entityWorkflow';

/** Start argument of an entity workflow run. */
export interface EntityWorkflowInput {
  entityType: string;
  key: string;
  /** Config version to run with; absent: the worker's current version (resolved once, recorded in history). */
  configVersion?: string;
  /** Carried over from the previous run by continue-as-new. */
  carried?: CarriedState;
  /**
   * What the run starts with, read by the previous run before it continued as new (CARRY_RUN_START_PATCH): its
   * config (of `configVersion`) and the rules paused then. A run given it asks no local activity and no patch at
   * its start, so its first workflow task records nothing and a worker that does not hold it replays one
   * activation less. Absent in a first run and in runs continued by code from before the patch.
   */
  start?: CarriedRunStart;
}

export interface CarriedRunStart {
  config: CompiledConfig;
  pausedRules: string[];
}

export interface DeadLetter {
  id: string;
  ruleId: string;
  eventId: string;
  connector: string;
  idempotencyKey: string;
  /** The request as planned (templates resolved except `env.*`). */
  request: JsonObject;
  lastFailure: string;
  attempts: number;
  at: number;
  redriven?: number;
  /** The rule's actions after the failed one, run once a redrive succeeds. */
  rest?: PlannedAction[];
  /** The triggering event, when `rest` holds deferred actions (after a call with `result`). */
  trigger?: EngineEvent;
  /** The results of the rule's earlier calls, which deferred actions in `rest` read. */
  results?: CallResults;
}

export interface CarriedState {
  machine: MachineSnapshot;
  deadLetters: DeadLetter[];
  /** Firings whose actions had not finished at continue-as-new: re-run in the new run (same idempotency keys). */
  pendingFirings: Firing[];
  /** Recent events (bounded) for inspection. */
  recentEvents: RecentEvent[];
  /** Signalled events received but not handled before continue-as-new: the next run handles them first. */
  inbox?: EngineEvent[];
  /** Started workflows whose outcome the entity still waits for (issue 22): the next run resumes the wait. */
  watches?: WorkflowWatch[];
}

export interface RecentEvent {
  id: string;
  source: string;
  type: string;
  at: number;
  status: DeliveryResult['status'];
  reason?: string;
}

export interface EventBatch {
  events: EngineEvent[];
}

export interface EntityView {
  entityType: string;
  key: string;
  configVersion: string;
  state: JsonObject;
  eventCount: number;
  ended?: { at: number; reason?: string };
  deadLetters: number;
  /** Actions started and not finished yet (calls retrying, emits in flight). */
  pendingActions: number;
}

/** Fire-and-forget delivery (signalWithStart). Several events for one entity may arrive in one signal. */
export const eventSignal = defineSignal<[EventBatch]>('event');
/** Synchronous delivery (update-with-start): one result per event, in order. */
export const publishUpdate = defineUpdate<DeliveryResult[], [EventBatch]>('publish');
/** Re-run a dead letter; resolves once the call succeeded or failed again. */
export const redriveUpdate = defineUpdate<{ ok: boolean; error?: string }, [{ deadLetterId: string }]>('redrive');
/** Move the entity to another config version at once (continue-as-new with the carried state). */
export const migrateUpdate = defineUpdate<{ from: string; to: string }, [{ configVersion?: string }]>('migrate');

export const stateQuery = defineQuery<EntityView>('state');
export const eventsQuery = defineQuery<RecentEvent[]>('events');
export const tracesQuery = defineQuery<DecisionTrace[], [{ eventId?: string }?]>('explain');
export const firingsQuery = defineQuery<Firing[]>('firings');
export const deadLettersQuery = defineQuery<DeadLetter[]>('deadLetters');
export const timersQuery = defineQuery<Array<{ ruleId: string; at: number; what: string }>>('timers');

/** Workflow type of a config version's durable record (see config-version-workflow.ts). */
export const CONFIG_VERSION_WORKFLOW_TYPE = 'configVersionWorkflow';
/** Prefix of config version workflow ids; entity types cannot contain a dot, so these never collide. */
export const CONFIG_VERSION_ID_PREFIX = 'hunt.config/';

/** Workflow id of the record that holds one config version in Temporal: `hunt.config/<version>`. */
export function configVersionWorkflowId(version: string): string {
  return `${CONFIG_VERSION_ID_PREFIX}${version}`;
}

/** Start argument of a config version's record: the compiled config itself. */
export interface ConfigVersionInput {
  config: CompiledConfig;
}
