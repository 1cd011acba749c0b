/**
 * What operator tools share with the workflows that record and carry out their operations (issue 18):
 * replays of recorded events through chosen rules, connector pauses. Workflow ids, types and inputs.
 */
import { defineQuery, defineSignal } from '@temporalio/workflow';
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

// ── pauses ─────────────────────────────────────────────────────────────────────────────────────

/** What a pause is about: a connector (its calls wait) or a rule (it does not fire). */
export type PauseKind = 'connector' | 'rule';

/** Workflow type of a pause record: running while the connector or rule is paused. */
export const PAUSE_WORKFLOW_TYPE = 'pauseRecordWorkflow';

/** Workflow id of the pause record of a connector or rule: `hunt.pause/connector/<name>`, `hunt.pause/rule/<id>`. */
export function pauseWorkflowId(kind: PauseKind, name: string): string {
  return `hunt.pause/${kind}/${name}`;
}

/** `HuntOperation` of a pause record. */
export function pauseOperation(kind: PauseKind): 'connector-pause' | 'rule-pause' {
  return kind === 'connector' ? 'connector-pause' : 'rule-pause';
}

/** Start input of a pause record. */
export interface PauseInput {
  kind: PauseKind;
  name: string;
  reason?: string;
  /** ms since epoch, as the operator's tool saw it. */
  pausedAt: number;
}

/** Ends a pause record (the pause is lifted). */
export const resumeSignal = defineSignal<[{ reason?: string }?]>('resume');

/** How long a worker trusts what it read about a connector's pause (the pause/resume commands wait this long). */
export const PAUSE_CHECK_TTL_MS = 1_000;

/** The failure type `callConnector` throws (non-retryably) when its connector is paused. */
export const CONNECTOR_PAUSED_FAILURE = 'ConnectorPaused';

/** Tells an entity that a connector its calls wait on was resumed: they go out at once, in order. */
export const connectorResumedSignal = defineSignal<[{ connector: string }]>('connectorResumed');

/** An entity's calls waiting on paused connectors: connector → how many calls wait. */
export const waitingCallsQuery = defineQuery<Record<string, number>>('waitingCalls');

/** Tells an entity which rules are paused now (the whole set): `hunt rules pause|resume` sends it. */
export const rulePausesSignal = defineSignal<[{ paused: string[] }]>('rulePauses');

// ── bulk redrives ──────────────────────────────────────────────────────────────────────────────

/** Workflow type of one bulk redrive (`hunt redrive --all`, `POST /dead-letters/redrive`). */
export const REDRIVE_WORKFLOW_TYPE = 'bulkRedriveWorkflow';

/** Workflow id of a bulk redrive: `hunt.redrive/<ISO time>-<8 hex>` (sortable, unique per run of the command). */
export function redriveWorkflowId(startedAt: number, suffix: string): string {
  return `hunt.redrive/${new Date(startedAt).toISOString()}-${suffix}`;
}

/** The filters of a bulk redrive as recorded (memo and input): `since` in ms. */
export interface RedriveFilterRecord {
  connector?: string;
  rule?: string;
  entityType?: string;
  since?: number;
  failure?: string;
}

/** One dead letter a bulk redrive re-runs (what the operation needs of it; the full letter stays with the entity). */
export interface RedriveItem {
  entity: string;
  deadLetterId: string;
  connector: string;
  ruleId: string;
}

/** What re-running one dead letter gave. */
export interface RedriveItemOutcome extends RedriveItem {
  ok: boolean;
  error?: string;
}

/** Start input of `bulkRedriveWorkflow` (and of its continue-as-new runs, with the outcomes so far). */
export interface BulkRedriveInput {
  filters: RedriveFilterRecord;
  items: RedriveItem[];
  /** Outcomes of the first items, carried over a continue-as-new. */
  done?: RedriveItemOutcome[];
}

/** The counts of a bulk redrive: its memo while it runs and its result when done. */
export interface RedriveCounts {
  planned: number;
  /** Dead letters handled so far (redriven + failedAgain). */
  done: number;
  redriven: number;
  failedAgain: number;
}

/** Result of `bulkRedriveWorkflow`. */
export interface BulkRedriveResult extends RedriveCounts {
  results: RedriveItemOutcome[];
}

/** The redrive's progress: its counts and the outcomes from index `from` on (so a poller reads each once). */
export const redriveProgressQuery = defineQuery<RedriveCounts & { results: RedriveItemOutcome[] }, [number?]>(
  'redriveProgress',
);

/** The counts of a list of outcomes. */
export function redriveCounts(planned: number, outcomes: readonly RedriveItemOutcome[]): RedriveCounts {
  const redriven = outcomes.filter((o) => o.ok).length;
  return { planned, done: outcomes.length, redriven, failedAgain: outcomes.length - redriven };
}

/** `HuntTarget` of a bulk redrive: the connector it is about, else the rule, else the entity type, else `all`. */
export function redriveTarget(filters: RedriveFilterRecord): string {
  return filters.connector ?? filters.rule ?? filters.entityType ?? 'all';
}
