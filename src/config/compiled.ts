/**
 * The compiled configuration: plain, serializable data produced by the compiler and consumed by
 * workflows, activities, ingest and the offline tools. No functions, classes or zod in here —
 * it travels through Temporal payloads and is pinned per workflow run by its `version`.
 */

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

/**
 * A template is any JSON value; strings may hold `{{ expression }}` placeholders (CEL).
 * A string that is exactly one placeholder yields the expression's raw value (number, list, …);
 * otherwise placeholders are interpolated as text.
 */
export type Template = Json;

/** Durations are compiled to milliseconds. */
export type Millis = number;

export interface CompiledConfig {
  name: string;
  /** Content hash of the compiled config (hex): the config version. */
  version: string;
  entities: Record<string, CompiledEntity>;
  sources: Record<string, CompiledSource>;
  events: Record<string, CompiledEventType>;
  connectors: Record<string, CompiledConnector>;
  rules: CompiledRule[];
  /** Event type → ids of the rules that must see it (as trigger, `within`/`unless` partner, `count`, `all`). */
  rulesByEvent: Record<string, string[]>;
  /** Set when rule windows were compressed for a demo (`HUNT_DEMO_SPEED`): every rule duration was divided by it. */
  demoSpeed?: number;
}

export interface CompiledEntity {
  name: string;
  /** Path into the event where the entity key is found, e.g. `data.teamId` or `subject`. */
  key: string;
  initial: JsonObject;
  /** Set only when the configuration says so; absent means the engine's defaults (see workflows/entity-run.ts). */
  compaction?: { idleMs?: number; minHistory?: number } | false;
}

export type SourceAuth =
  | { type: 'none' }
  | { type: 'apiKey'; header: string; env: string }
  | { type: 'standardWebhooks'; secretEnv: string }
  | { type: 'hubSignature'; secretEnv: string; header: string }
  /** No `auth`: the source sends only native webhooks (POST /sources/<name>); POST /events refuses it. */
  | { type: 'webhookOnly' };

export type WebhookPresetName = 'github' | 'stripe' | 'shopify' | 'slack' | 'svix' | 'twilio' | 'generic';

/** Generic HMAC scheme: HMAC(secret, `signed` with {body}, {timestamp}, {id} replaced) in `header` after `prefix`. */
export interface GenericSignature {
  algorithm: 'sha1' | 'sha256' | 'sha512';
  encoding: 'hex' | 'base64';
  header: string;
  prefix: string;
  signed: string;
  timestampHeader?: string;
  idHeader?: string;
}

/** One native type's mapping to an engine event; expressions are CEL over headers, body, query, digest. */
export interface WebhookMapping {
  event: string;
  data?: string;
  subject?: string;
  if?: string;
  /** One event per item of this list; `data`/`subject` then also read `item` and `index`. */
  each?: string;
}

/**
 * How a source's native requests become events. Expressions left out take the preset's defaults,
 * filled in at ingest (src/ingest/sources/), so a preset's improvement needs no config change.
 */
export interface CompiledWebhook {
  preset: WebhookPresetName;
  secretEnv: string;
  toleranceMs?: Millis;
  url?: string;
  signature?: GenericSignature;
  id?: string;
  type?: string;
  time?: string;
  subject?: string;
  unmapped: 'ignore' | 'reject';
  /** Native type (or a dotted prefix of it) → mapping. */
  events: Record<string, WebhookMapping>;
}

export interface CompiledSource {
  name: string;
  auth: SourceAuth;
  /** Set when the source takes native webhooks at POST /sources/<name>. */
  webhook?: CompiledWebhook;
  /** Requests per second allowed from this source at ingest (undefined: unlimited). */
  rateLimit?: number;
  /** Set when the source's events are consumed from Kafka topics (the ingest role, src/ingest/kafka/). */
  kafka?: CompiledKafkaSource;
}

/** A Kafka source: where to consume and how a record becomes an event (CEL over the record; see src/ingest/kafka/). */
export interface CompiledKafkaSource {
  brokers?: string[];
  brokersEnv?: string;
  topics: string[];
  group: string;
  preset: 'json' | 'cloudevents';
  event?: string;
  type?: string;
  id?: string;
  time?: string;
  subject?: string;
  data?: string;
  deadLetterTopic?: string;
  fromBeginning: boolean;
  sessionTimeoutMs?: number;
  tls?: { caEnv?: string; certEnv?: string; keyEnv?: string };
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; usernameEnv: string; passwordEnv: string };
}

export type ReducerOp = 'set' | 'increment' | 'append' | 'remove' | 'merge';

export interface CompiledReducer {
  op: ReducerOp;
  /** Dotted path into state, e.g. `paid` or `scores.total`. */
  path: string;
  /** Value template (for increment: the amount, default 1). */
  value?: Template;
}

export interface CompiledEventType {
  type: string;
  sources: string[];
  /** The entity the event is about (its first route; rules on it run here unless they name another). */
  entity: string;
  /** JSON Schema for the event's `data`. */
  schema: JsonObject;
  /** How the event folds into `entity`'s state. */
  reduce: CompiledReducer[];
  /**
   * Further entities the same event reaches, in config order (absent: only `entity`). Each gets the event once,
   * dedupes it itself and folds it with its own reducers; see src/rules/event-reach.ts.
   */
  alsoReaches?: CompiledReach[];
  example?: Json;
  description?: string;
}

/** One further entity an event reaches: where the event holds its key (default: the entity's `key`), its reducers. */
export interface CompiledReach {
  entity: string;
  key?: string;
  reduce: CompiledReducer[];
}

export interface RetryPolicy {
  initialIntervalMs?: Millis;
  backoffCoefficient?: number;
  maximumIntervalMs?: Millis;
  maximumAttempts?: number;
  nonRetryableErrorTypes?: string[];
}

export type OutgoingAuth =
  | { type: 'bearer'; token: Template }
  | { type: 'basic'; username: Template; password: Template }
  | { type: 'standardWebhooks'; secret: Template };

export interface CompiledConnector {
  name: string;
  /**
   * A TypeScript connector (`defineConnector`): the module as written in the configuration, relative to the
   * configuration file, and its settings (templates; `env.*` resolved in the activity). Absent: `http`.
   */
  module?: { path: string; settings?: Template };
  /** Absent for a TypeScript connector (`module`). */
  http?: {
    /** May reference `env.*`: resolved inside the activity, never in workflow history. */
    url: Template;
    method: string;
    headers: Record<string, Template>;
    body?: Template;
    auth?: OutgoingAuth;
    /** HTTP statuses counted as success, e.g. [[200, 299]]; default 2xx. */
    successStatuses: Array<[number, number]>;
  };
  timeoutMs: Millis;
  retry: RetryPolicy;
  idempotencyHeader: string;
  /** Maximum concurrent calls to this connector across workers (undefined: unlimited). */
  concurrency?: number;
  /** Calls per second allowed to this connector (undefined: unlimited). */
  rateLimit?: number;
  /** Bytes of response body recorded in history. */
  recordBodyBytes: number;
  /** Response headers recorded in history. */
  recordHeaders: string[];
}

/** EventBridge-style content pattern over the event (keys: envelope attributes and `data`). */
export type Pattern = { [key: string]: PatternValue };
export type PatternValue = Pattern | PatternMatcher[] | { $or: Pattern[] };
export type PatternMatcher =
  | string
  | number
  | boolean
  | null
  | { prefix: string }
  | { suffix: string }
  | { wildcard: string }
  | { numeric: Array<string | number> }
  | { exists: boolean }
  | { 'anything-but': Json | { prefix: string } | { suffix: string } }
  | { 'equals-ignore-case': string };

/** Reference to an event type with an optional content pattern. */
export interface EventRef {
  type: string;
  match?: Pattern;
}

/** Argo-Events-style join: `all` of, `any` of, or one event. */
export type JoinExpr = { event: EventRef } | { all: JoinExpr[] } | { any: JoinExpr[] };

/** `reset`: after firing, counting starts again from zero. `sliding`: every match while N are in the window fires. */
export type CountMode = 'reset' | 'sliding';

export type RuleTiming =
  | { kind: 'within'; then: EventRef; windowMs: Millis }
  /** `event`: one cancelling event, or several (any of them cancels). */
  | { kind: 'unless'; event: EventRef | EventRef[]; windowMs: Millis }
  /** `mode` (absent in configs compiled before it existed: `reset`): what happens to the count after firing. */
  | { kind: 'count'; count: number; windowMs: Millis; mode?: CountMode }
  | { kind: 'debounce'; quietMs: Millis }
  | { kind: 'throttle'; intervalMs: Millis }
  | { kind: 'all'; join: JoinExpr; windowMs?: Millis };

export type CompiledAction =
  | {
      kind: 'call';
      connector: string;
      /** Per-action overrides, templated over event/state/entity (and env inside the activity). */
      path?: Template;
      method?: string;
      headers?: Record<string, Template>;
      body?: Template;
      /** Shown in the Temporal Web UI as the activity summary. */
      summary?: string;
      /** Event types the call's outcome is recorded as in the entity's log (see src/rules/call-result.ts). */
      result?: CallResultTypes;
    }
  | { kind: 'emit'; type: string; data: Template; source?: string; subject?: Template }
  | StartWorkflowAction
  | { kind: 'signal'; workflowId: Template; signal: string; args: Template[] }
  | { kind: 'set'; reducers: CompiledReducer[] }
  | { kind: 'end'; reason?: string };

export type WorkflowIdReuse = 'rejectDuplicate' | 'allowDuplicateFailedOnly' | 'allowDuplicate';

/** `start` a Temporal workflow; with `result`, its outcome comes back to the entity as an event (workflow-watch.ts). */
export interface StartWorkflowAction {
  kind: 'start';
  workflow: string;
  taskQueue: string;
  /** Workflow id template; absent: the action's idempotency key. */
  id?: Template;
  args: Template[];
  idReusePolicy: WorkflowIdReuse;
  result?: { completed?: string; failed?: string };
  timeoutMs?: Millis;
  summary?: string;
}

/** The event types a call's outcome becomes; a missing one is not recorded as an event. */
export interface CallResultTypes {
  responded?: string;
  failed?: string;
}

export interface CompiledRule {
  id: string;
  description?: string;
  on: EventRef[];
  /** The entity the rule runs in, when written (default: that of its first trigger; see ruleEntity). */
  entity?: string;
  /** CEL condition over `event`, `state`, `entity`. */
  if?: string;
  timing?: RuleTiming;
  once: boolean;
  then: CompiledAction[];
  onFailure: CompiledAction[];
}
