/**
 * Types shared by the pure rule evaluation (`src/rules/`), the entity workflow and the offline
 * simulator. Everything here is plain data: it crosses Temporal payloads and is carried across
 * continue-as-new.
 */
import type { CompiledAction, Json, JsonObject } from '../config/compiled.js';
import type { CallResults } from './call-result.js';

/** One event as the engine sees it: a validated CloudEvents 1.0 envelope. */
export interface EngineEvent {
  id: string;
  /** Name of the configured source that sent it (the CloudEvents `source` attribute). */
  source: string;
  type: string;
  specversion: '1.0';
  subject?: string;
  /** RFC 3339 time the event happened (from the producer); engine time is separate. */
  time?: string;
  datacontenttype?: string;
  dataschema?: string;
  data: Json;
}

/** Entity identity: workflow id is `<type>/<key>`. */
export interface EntityRef {
  type: string;
  key: string;
}

export type DeliveryStatus = 'accepted' | 'duplicate' | 'rejected';

/** What happened to one delivered event. */
export interface DeliveryResult {
  eventId: string;
  source: string;
  status: DeliveryStatus;
  /** Why it was rejected (reducer or template failure, entity ended, …). */
  reason?: string;
  /** Ids of rules that fired because of this event. */
  fired: string[];
  /** For an event that reaches several entities: each entity's own answer (src/client/delivery.ts). */
  reached?: ReachedResult[];
}

/** One entity's answer to an event that reached several. */
export type ReachedResult = Omit<DeliveryResult, 'reached'> & { workflowId: string };

/** An action ready to run: templates over event/state/entity resolved, `env.*` left for the activity. */
export interface PlannedAction {
  ruleId: string;
  /** The event that made the rule fire (for timer-fired rules, the event that opened the window). */
  eventId: string;
  /** Index of the action within the rule's `then` (or `onFailure`) list. */
  index: number;
  /** Stable across retries and replays: entity, event id, rule id, action index. */
  idempotencyKey: string;
  action: CompiledAction;
  /** True when this action comes from `onFailure`. */
  onFailure?: boolean;
  /**
   * True for an action after a `call` with `result` in the same `then`: its templates are rendered (and a `set`
   * or `end` applied) only when the runner reaches it, over the state then and the calls' results.
   */
  deferred?: boolean;
}

/** One rule that fired: its actions run in order; different firings may run concurrently. */
export interface Firing {
  ruleId: string;
  eventId: string;
  /** Engine time (ms since epoch) at which it fired. */
  at: number;
  /** 'event' when an arriving event fired it, 'timer' when a deadline did (unless, debounce, …). */
  cause: 'event' | 'timer';
  actions: PlannedAction[];
  /** Set on a firing carried across continue-as-new after a call dead-lettered: only its onFailure actions remain. */
  failed?: boolean;
  /** The triggering event, kept when actions are deferred (their templates read `event` when they run). */
  trigger?: EngineEvent;
  /** Results of the calls performed so far (carried across continue-as-new with the actions still to run). */
  results?: CallResults;
}

/** The clause of a rule that decided a verdict (`then` when its actions ran). */
export type RuleClause =
  | 'on'
  | 'match'
  | 'matched'
  | 'if'
  | 'once'
  | 'throttle'
  | 'debounce'
  | 'count'
  | 'within'
  | 'unless'
  | 'all'
  | 'then'
  | 'end'
  | 'paused';

/** Why a rule did or did not fire for one event: the explanation `hunt explain` prints. */
export interface RuleVerdict {
  ruleId: string;
  fired: boolean;
  /** Which clause decided. */
  clause: RuleClause;
  /** Plain words: what failed on which value, or what is pending (a window opened until …). */
  reason: string;
}

export interface DecisionTrace {
  eventId: string;
  eventType: string;
  at: number;
  status: DeliveryStatus;
  verdicts: RuleVerdict[];
  /** Why the event was rejected or is a duplicate (absent when accepted). */
  reason?: string;
  /** 'timer' for the trace of a deadline firing (eventId is then the event that opened it). */
  cause?: 'event' | 'timer';
}

/** The outcome of feeding one event (or one due timer) to the machine. */
export interface Decision {
  delivery?: DeliveryResult;
  firings: Firing[];
  trace?: DecisionTrace;
  /** True when an `end` action ended the entity. */
  ended?: boolean;
}

/** Everything the machine needs to resume: carried across continue-as-new. Plain JSON. */
export interface MachineSnapshot {
  state: JsonObject;
  /** Seen (source, id) keys with the engine time first seen, oldest first. Bounded by count and age. */
  seen: Array<[string, number]>;
  /** Per-rule open windows, counters, pending timers, `once` flags — owned by src/rules. */
  rules: Record<string, Json>;
  /** Last N decision traces. */
  traces: DecisionTrace[];
  /** Count of events accepted over the entity's life. */
  eventCount: number;
  ended?: { at: number; reason?: string };
}
