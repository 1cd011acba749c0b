/**
 * The configuration file's schema (zod): the single source of its structure, of the types the
 * compiler reads (`z.infer`) and of the reference documentation (docs/configuration.md).
 * Cross-references (does this event type exist?) and expressions are checked in references.ts.
 */
import { z } from 'zod';
import { didYouMean } from './did-you-mean.js';
import { DURATION_HINT, parseDuration } from './durations.js';
import { checkPattern, normalizePattern } from './pattern-syntax.js';

/**
 * An object that rejects unknown keys with a "did you mean" suggestion. The check runs even when
 * a field failed (`when`), so a typo'd key is reported together with everything else.
 */
function closed<Shape extends z.ZodRawShape>(shape: Shape): z.ZodObject<Shape, z.core.$strict> {
  const known = Object.keys(shape);
  const schema = z.looseObject(shape).check(
    z.superRefine(
      (value, ctx) => {
        if (typeof value !== 'object' || value === null || Array.isArray(value)) return;
        for (const key of Object.keys(value)) {
          if (known.includes(key)) continue;
          const suggestion = didYouMean(key, known);
          ctx.addIssue({
            code: 'custom',
            path: [key],
            message: `unknown field "${key}"; allowed here: ${known.join(', ')}`,
            params: { unknownKey: true, ...(suggestion ? { suggestion } : {}) },
          });
        }
      },
      { when: () => true },
    ),
  );
  // Typed as strict: unknown keys never survive the check, so the inferred type has none.
  return schema;
}

const NAME = /^[A-Za-z][\w-]*$/;
const EVENT_TYPE = /^[A-Za-z][\w-]*(\.[\w-]+)*$/;
const STATE_PATH = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;

export const nameSchema = z
  .string()
  .regex(NAME, 'names start with a letter and hold letters, digits, "_" or "-"')
  .meta({ 'x-kind': 'name', description: 'a name: letters, digits, `_`, `-`' });
export const eventTypeSchema = z
  .string()
  .regex(EVENT_TYPE, 'event types are dotted names, e.g. "checkpoint.scanned"')
  .meta({ 'x-kind': 'event type', description: 'an event type, dotted: `checkpoint.scanned`' });
const statePathSchema = z
  .string()
  .regex(STATE_PATH, 'state paths are dotted field names, e.g. "scores.total"')
  .meta({ 'x-kind': 'state path', description: 'a dotted path into state: `found`, `scores.total`' });
const envVarSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'environment variable names hold letters, digits and "_"')
  .meta({ 'x-kind': 'env var', description: 'the name of an environment variable' });

export const durationSchema = z
  .string({ error: DURATION_HINT })
  .transform((text, ctx) => {
    const ms = parseDuration(text);
    if (ms === undefined) {
      ctx.issues.push({ code: 'custom', input: text, message: `"${text}" is not a duration: ${DURATION_HINT}` });
      return z.NEVER;
    }
    return ms;
  })
  .meta({
    'x-kind': 'duration',
    description: 'a duration: `250ms`, `30s`, `5m`, `2h`, `1d`, `1h30m` (compiled to milliseconds)',
  });

const templateSchema = z.json().meta({
  'x-kind': 'template',
  description: 'any JSON value; strings may hold `{{ CEL expression }}` placeholders over event, data, state, entity',
});
const stringTemplateSchema = z
  .string()
  .meta({ 'x-kind': 'string template', description: 'a string that may hold `{{ … }}` placeholders' });
const positiveNumber = z.number().positive();

export const patternSchema = z
  .record(z.string(), z.unknown())
  .check(
    z.superRefine((value, ctx) => {
      for (const issue of checkPattern(value))
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    }),
  )
  .transform((value) => normalizePattern(value))
  .meta({
    'x-kind': 'pattern',
    description:
      'EventBridge-style content pattern over the event (`source`, `subject`, `data`, …): leaves are lists of values or ' +
      'matchers `prefix`, `suffix`, `wildcard`, `equals-ignore-case`, `exists`, `numeric: [">", 0, "<=", 5]`, ' +
      '`anything-but`; `$or: [pattern, …]` for alternatives',
  });

// ── entities and sources ────────────────────────────────────────────────────────────────────

export const entitySchema = closed({
  key: z
    .string()
    .regex(
      /^(subject|source|id|data(\.[\w-]+)+)$/,
      'the key is `subject`, `source`, `id` or a path under `data`, e.g. "data.teamId"',
    )
    .describe('correlation key: where the entity key is found in an event — `data.teamId`, `subject`'),
  initial: z.record(z.string(), z.json()).optional().describe('initial state of a new entity (default `{}`)'),
  description: z.string().optional().describe('what the entity is'),
  compaction: z
    .union([
      z.literal(false),
      closed({
        whenIdle: durationSchema
          .optional()
          .describe('continue as new once the entity has been idle this long (default `10m`)'),
        minHistory: z
          .number()
          .int()
          .positive()
          .optional()
          .describe('only when its run holds at least this many history events (default 100)'),
      }),
    ])
    .optional()
    .describe(
      'snapshot an idle entity: its run continues as new with state, dedupe memory, windows, timers and dead letters ' +
        'carried, so its next event replays a short history; `false` turns it off (default on: idle `10m`, 100 events)',
    ),
}).meta({ id: 'Entity', description: 'A thing events are about; each one is a long-lived workflow `<entity>/<key>`.' });

const apiKeyAuth = closed({
  apiKey: closed({
    header: z.string().min(1).optional().describe('request header holding the key (default `x-api-key`)'),
    env: envVarSchema.describe('environment variable holding the expected key'),
  }),
});
const standardWebhooksAuth = closed({
  standardWebhooks: closed({ secretEnv: envVarSchema.describe('environment variable holding the `whsec_…` secret') }),
});
const hubSignatureAuth = closed({
  hubSignature: closed({
    secretEnv: envVarSchema.describe('environment variable holding the HMAC secret'),
    header: z.string().min(1).optional().describe('signature header (default `x-hub-signature-256`)'),
  }),
});

export const sourceAuthSchema = z
  .union([z.literal('none'), apiKeyAuth, standardWebhooksAuth, hubSignatureAuth])
  .describe(
    '`none` (local development only), `{ apiKey: { header?, env } }`, `{ standardWebhooks: { secretEnv } }` or ' +
      '`{ hubSignature: { secretEnv, header? } }`',
  );

/** The native webhook presets a source can take requests in (src/ingest/sources/<preset>.ts). */
export const WEBHOOK_PRESETS = ['github', 'stripe', 'shopify', 'slack', 'svix', 'twilio', 'generic'] as const;

const celSchema = z
  .string()
  .min(1)
  .meta({ 'x-kind': 'CEL', description: 'a CEL expression over `headers`, `body`, `query` and `digest`' });

const webhookMappingSchema = z
  .union([
    eventTypeSchema,
    closed({
      event: eventTypeSchema.describe('the engine event type the request becomes'),
      data: celSchema.optional().describe('the event `data` (default `body`)'),
      subject: celSchema.optional().describe('the event `subject` (default: the preset’s or none)'),
      if: celSchema.optional().describe('only requests for which this holds map; others count as unmapped'),
      each: celSchema
        .optional()
        .describe(
          'one event per item of this list (e.g. `body.line_items`): `data` and `subject` then also read `item` and ' +
            '`index`, and each event id is the request’s id + `#` + the index',
        ),
    }),
  ])
  .describe('an engine event type, or `{ event, data?, subject?, if?, each? }`');

export const webhookSchema = closed({
  preset: z.enum(WEBHOOK_PRESETS).describe(`how the sender signs and shapes requests: ${WEBHOOK_PRESETS.join(', ')}`),
  secretEnv: envVarSchema.describe('environment variable holding the signing secret (several: space-separated)'),
  tolerance: durationSchema
    .optional()
    .describe(
      'how far a signed timestamp may be from now (stripe, slack, svix, generic with a timestamp; default `5m`)',
    ),
  url: z
    .url()
    .optional()
    .describe('twilio: the public URL the sender posts to, as it signs it (default: rebuilt from the request)'),
  signature: closed({
    algorithm: z.enum(['sha1', 'sha256', 'sha512']).optional().describe('HMAC hash (default `sha256`)'),
    encoding: z.enum(['hex', 'base64']).optional().describe('how the digest is written (default `hex`)'),
    header: z.string().min(1).describe('the request header holding the signature'),
    prefix: z.string().optional().describe('text before the digest in the header, e.g. `sha256=` (default none)'),
    signed: z
      .string()
      .min(1)
      .optional()
      .describe('what is signed: `{body}`, `{timestamp}` and `{id}` are replaced (default `{body}`)'),
    timestampHeader: z.string().min(1).optional().describe('header holding the Unix timestamp that is signed'),
    idHeader: z.string().min(1).optional().describe('header holding the delivery id (`{id}`; default id: `digest`)'),
  })
    .optional()
    .describe('generic: the HMAC scheme'),
  id: celSchema.optional().describe('the event id, the dedupe key: the sender’s delivery id (default per preset)'),
  type: celSchema.optional().describe('the native type, looked up in `events` (default per preset)'),
  time: celSchema.optional().describe('when it happened: RFC 3339 text or Unix seconds (default per preset)'),
  subject: celSchema.optional().describe('the event subject for every mapping (default none)'),
  unmapped: z
    .enum(['ignore', 'reject'])
    .optional()
    .describe(
      'a native type `events` does not map: `ignore` answers 200 and counts it (default), `reject` answers 422',
    ),
  events: z
    .record(z.string().min(1), webhookMappingSchema)
    .describe(
      'native type → engine event; a key also matches the types under it (`pull_request` → `pull_request.closed`)',
    ),
}).meta({
  id: 'Webhook',
  description: 'How native requests at `POST /sources/<name>` are authenticated and mapped to events.',
});

// ── Kafka sources (src/ingest/kafka/) ───────────────────────────────────────────────────────

/** How a Kafka record is read: its value as JSON, or a CloudEvent in the Kafka protocol binding. */
export const KAFKA_PRESETS = ['json', 'cloudevents'] as const;

const kafkaCelSchema = z.string().min(1).meta({
  'x-kind': 'CEL',
  description: 'a CEL expression over `key`, `headers`, `value`, `topic`, `partition`, `offset` and `timestamp`',
});

export const kafkaSourceSchema = closed({
  brokers: z
    .array(z.string().regex(/^[^\s:/]+:\d{1,5}$/, 'a broker is host:port, e.g. 127.0.0.1:9092'))
    .min(1)
    .optional()
    .describe('bootstrap brokers, `host:port` (or `brokersEnv`)'),
  brokersEnv: envVarSchema.optional().describe('environment variable holding the brokers, comma-separated'),
  topics: z.array(z.string().min(1)).min(1).describe('the topics consumed'),
  group: z.string().min(1).describe('the consumer group; instances with the same group share the partitions'),
  preset: z
    .enum(KAFKA_PRESETS)
    .optional()
    .describe('`json` (default): the value is JSON data; `cloudevents`: the Kafka binding, binary or structured'),
  event: eventTypeSchema.optional().describe('the engine event type every record becomes (or `type`)'),
  type: kafkaCelSchema.optional().describe('the engine event type per record (cloudevents default: `ce_type`)'),
  id: kafkaCelSchema
    .optional()
    .describe('the event id, the dedupe key (default: the CloudEvent id, else `<topic>/<partition>/<offset>`)'),
  time: kafkaCelSchema.optional().describe('when it happened: RFC 3339 or Unix seconds (default: the record time)'),
  subject: kafkaCelSchema.optional().describe('the event subject (default: the CloudEvent subject, else none)'),
  data: kafkaCelSchema.optional().describe('the event `data` (default: the value, or the CloudEvent data)'),
  deadLetterTopic: z
    .string()
    .min(1)
    .optional()
    .describe('poison records go here with the reason in headers (default: recorded and skipped)'),
  fromBeginning: z
    .boolean()
    .optional()
    .describe('a new group starts at the oldest record (default `true`), or at the newest with `false`'),
  sessionTimeout: durationSchema
    .optional()
    .describe('a consumer that stops heartbeating loses its partitions after this (default `30s`; broker minimum 6s)'),
  tls: z
    .union([
      z.literal(true),
      closed({
        caEnv: envVarSchema.optional().describe('environment variable holding the CA certificate (PEM)'),
        certEnv: envVarSchema.optional().describe('environment variable holding the client certificate (PEM)'),
        keyEnv: envVarSchema.optional().describe('environment variable holding the client key (PEM)'),
      }),
    ])
    .optional()
    .describe('TLS to the brokers: `true`, or `{ caEnv?, certEnv?, keyEnv? }`'),
  sasl: closed({
    mechanism: z.enum(['plain', 'scram-sha-256', 'scram-sha-512']),
    usernameEnv: envVarSchema.describe('environment variable holding the user name'),
    passwordEnv: envVarSchema.describe('environment variable holding the password'),
  })
    .optional()
    .describe('SASL authentication, the credentials from the environment'),
})
  .check(
    z.superRefine((kafka, ctx) => {
      if (kafka.brokers === undefined && kafka.brokersEnv === undefined)
        ctx.addIssue({ code: 'custom', path: ['brokers'], message: 'a Kafka source needs `brokers` or `brokersEnv`' });
      if (kafka.event !== undefined && kafka.type !== undefined)
        ctx.addIssue({ code: 'custom', path: ['type'], message: 'give `event` or `type`, not both' });
      if ((kafka.preset ?? 'json') === 'json' && kafka.event === undefined && kafka.type === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['event'],
          message: 'the json preset needs `event` (one type for every record) or `type` (a CEL expression)',
        });
    }),
  )
  .meta({ id: 'KafkaSource', description: 'Kafka topics a source’s events are consumed from (the ingest role).' });

export const sourceSchema = closed({
  auth: sourceAuthSchema
    .optional()
    .describe(`${sourceAuthSchema.description ?? ''}; for \`POST /events\` (optional when \`webhook\` is given)`),
  webhook: webhookSchema.optional(),
  kafka: kafkaSourceSchema.optional(),
  rateLimit: positiveNumber.optional().describe('requests per second accepted from this source (default unlimited)'),
  description: z.string().optional().describe('what the source system is'),
})
  .check(
    z.superRefine((source, ctx) => {
      if (source.auth === undefined && source.webhook === undefined && source.kafka === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['auth'],
          message:
            'a source needs `auth` (for POST /events), `webhook` (for POST /sources/<name>) or `kafka` (topics), or several',
        });
      }
    }),
  )
  .meta({ id: 'Source', description: 'An integrated system that sends events, with its credentials.' });

// ── reducers and events ─────────────────────────────────────────────────────────────────────

const pathToTemplate = z.record(statePathSchema, templateSchema);

export const reducerSchema = z
  .union([
    closed({ set: pathToTemplate.describe('state path → value template') }),
    closed({
      increment: z.record(statePathSchema, templateSchema).describe('state path → amount (number or template)'),
    }),
    closed({ append: pathToTemplate.describe('state path of a list → item template appended to it') }),
    closed({
      remove: z
        .union([statePathSchema, z.array(statePathSchema), pathToTemplate])
        .describe('a path (or list of paths) to delete, or list path → item template: removes equal items'),
    }),
    closed({ merge: pathToTemplate.describe('state path of an object → object template merged into it (shallow)') }),
  ])
  .meta({ id: 'Reducer', description: 'One change to state: `set`, `increment`, `append`, `remove` or `merge`.' });

export const eventSchema = closed({
  description: z.string().optional().describe('what happened, in plain words'),
  source: z
    .union([nameSchema, z.array(nameSchema).min(1)])
    .optional()
    .describe('the source (or list of sources) that may send it; omit for events only rules `emit`'),
  entity: nameSchema.describe('the entity the event is about'),
  schema: z
    .record(z.string(), z.json())
    .optional()
    .describe('JSON Schema (draft-07) of the event `data`, checked at ingest (default: any object)'),
  reduce: z.array(reducerSchema).optional().describe('how the event changes the entity state, in order'),
  alsoReaches: z
    .record(
      nameSchema,
      closed({
        key: z
          .string()
          .regex(
            /^(subject|source|id|data(\.[\w-]+)+)$/,
            'the key is `subject`, `source`, `id` or a path under `data`, e.g. "data.service"',
          )
          .optional()
          .describe(
            "where this event holds that entity's key (default: the entity's own `key`); a list there reaches " +
              'every entity in it',
          ),
        reduce: z.array(reducerSchema).optional().describe("how the event changes that entity's state, in order"),
      }),
    )
    .optional()
    .describe(
      'further entities the same event reaches (entity → `{ key?, reduce? }`): it is delivered to each, folded once ' +
        'per entity and deduplicated per entity; rules run in the entity they name (`rules[].entity`)',
    ),
  example: z.json().optional().describe('an example `data`, checked against the schema; used by docs and simulate'),
}).meta({
  id: 'Event',
  description: 'An event type: who sends it, which entity it is about, its data and how it folds into state.',
});

// ── connectors ──────────────────────────────────────────────────────────────────────────────

const statusSchema = z
  .union([
    z.int().min(100).max(599),
    z
      .string()
      .regex(/^([1-5]xx|[1-5]\d\d(-[1-5]\d\d)?)$/, 'a status is a number, a class like "2xx" or a range "200-204"'),
  ])
  .describe('`200`, `"2xx"` or `"200-204"`');

const outgoingAuthSchema = z
  .union([
    closed({ bearer: stringTemplateSchema.describe('the token, usually `{{ env.TOKEN }}`') }),
    closed({ basic: closed({ username: stringTemplateSchema, password: stringTemplateSchema }) }),
    closed({ standardWebhooks: closed({ secret: stringTemplateSchema.describe('the `whsec_…` signing secret') }) }),
  ])
  .describe('`{ bearer }`, `{ basic: { username, password } }` or `{ standardWebhooks: { secret } }` (signs requests)');

const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

export const retrySchema = closed({
  initialInterval: durationSchema.optional().describe('delay before the first retry'),
  backoffCoefficient: z.number().min(1).optional().describe('multiplier of the delay after each retry'),
  maximumInterval: durationSchema.optional().describe('cap on the delay between retries'),
  maximumAttempts: z.int().min(0).optional().describe('attempts in all, including the first (0: unlimited)'),
  nonRetryableErrorTypes: z.array(z.string()).optional().describe('error types never retried'),
}).meta({ id: 'Retry', description: "Temporal's retry policy for the connector's activity." });

export const connectorSchema = closed({
  description: z.string().optional().describe('what the integrated system is'),
  http: closed({
    url: stringTemplateSchema.describe('base URL; may use `{{ env.NAME }}`'),
    method: z.enum(HTTP_METHODS).optional().describe('default `POST`'),
    headers: z.record(z.string(), stringTemplateSchema).optional().describe('request headers (templates; env allowed)'),
    body: templateSchema.optional().describe('default body template; a `call` may replace it'),
    auth: outgoingAuthSchema.optional(),
    successStatuses: z
      .array(statusSchema)
      .min(1)
      .optional()
      .describe('statuses counted as success (default `["2xx"]`); others fail and are retried'),
  })
    .optional()
    .describe('the HTTP request (an HTTP connector); or give `module`'),
  module: z
    .string()
    .min(1)
    .regex(/\.(m|c)?[jt]s$/, 'a module is a .ts, .mts, .js or .mjs file')
    .optional()
    .describe(
      'a TypeScript connector instead of `http`: the file (relative to this configuration) exporting a ' +
        "`defineConnector({ name, input, run })` of this name; the call's `body` is its input",
    ),
  settings: templateSchema
    .optional()
    .describe(
      'with `module`: settings handed to `run` as `context.settings`, resolved on the worker (may use ' +
        '`{{ env.NAME }}`; secrets never enter history)',
    ),
  timeout: durationSchema.optional().describe('per-attempt timeout (default `10s`)'),
  retry: retrySchema.optional(),
  idempotencyHeader: z
    .string()
    .min(1)
    .optional()
    .describe('header carrying the idempotency key (default `Idempotency-Key`)'),
  concurrency: z.int().positive().optional().describe('maximum concurrent calls across workers (default unlimited)'),
  rateLimit: positiveNumber.optional().describe('calls per second (default unlimited)'),
  record: closed({
    headers: z.array(z.string()).optional().describe('response headers kept in history (default none)'),
    bodyBytes: z.int().min(0).optional().describe('bytes of response body kept in history (default 2048)'),
  })
    .optional()
    .describe('what of the response is recorded in the entity history'),
})
  .check(
    z.superRefine((connector, ctx) => {
      if (connector.http === undefined && connector.module === undefined)
        ctx.addIssue({ code: 'custom', path: ['http'], message: 'a connector needs `http` (a request) or `module`' });
      if (connector.http !== undefined && connector.module !== undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['module'],
          message: 'a connector is either `http` or `module`, not both: split it into two connectors',
        });
      if (connector.settings !== undefined && connector.module === undefined)
        ctx.addIssue({
          code: 'custom',
          path: ['settings'],
          message: '`settings` are for a `module` connector; an HTTP connector takes `http.headers` / `http.body`',
        });
    }),
  )
  .meta({
    id: 'Connector',
    description: 'An integrated system that actions call: an HTTP request (`http`) or a TypeScript module (`module`).',
  });

// ── rules ───────────────────────────────────────────────────────────────────────────────────

export const eventRefSchema = z
  .union([eventTypeSchema, closed({ event: eventTypeSchema, match: patternSchema.optional() })])
  .describe('an event type, or `{ event, match }` to also match its content');

export type JoinItemInput =
  string | { event: string; match?: unknown } | { any: JoinItemInput[] } | { all: JoinItemInput[] };

export const joinItemSchema: z.ZodType<JoinItemInput> = z.lazy(() =>
  z.union([
    eventTypeSchema,
    closed({ event: eventTypeSchema, match: patternSchema.optional() }),
    closed({ any: z.array(joinItemSchema).min(2) }),
    closed({ all: z.array(joinItemSchema).min(2) }),
  ]),
);

const joinSchema = z
  .union([z.string().min(1), z.array(joinItemSchema).min(2)])
  .describe('`"a && (b || c)"`, or a list `[a, { any: [b, c] }]` (all of them, in any order)');

const followSchema = closed({
  event: eventTypeSchema.describe('the other event'),
  match: patternSchema.optional(),
  window: durationSchema.describe('how long after the triggering event'),
});

const unlessSchema = closed({
  event: z
    .union([eventTypeSchema, z.array(eventTypeSchema).min(1)])
    .describe('the event that cancels, or a list of events any of which cancels'),
  match: patternSchema.optional().describe('a pattern the cancelling event must match'),
  window: durationSchema.describe('how long after the triggering event'),
});

const reducersOrMap = z.union([pathToTemplate, z.array(reducerSchema).min(1)]);

const callResultSchema = z
  .union([
    z.literal(true),
    eventTypeSchema,
    closed({
      responded: eventTypeSchema.optional().describe('the event recorded when the call succeeds'),
      failed: eventTypeSchema.optional().describe('the event recorded when the call fails for good'),
    }),
  ])
  .describe(
    "record the call's outcome as an event of this entity: `true` for `<connector>.responded` / `<connector>.failed` " +
      '(those declared under `events`), an event type for the success event, or `{ responded, failed }`. Later actions ' +
      'of the same `then` read it as `result` (and `results.<connector>`)',
  );

const startWorkflowSchema = closed({
  workflow: z.string().min(1).describe('the workflow type to start'),
  taskQueue: z.string().min(1).describe('the task queue its workers poll'),
  id: stringTemplateSchema
    .optional()
    .describe(
      "the workflow id (a template); default: the action's idempotency key, so a retried action starts it once",
    ),
  args: z.array(templateSchema).optional().describe('the workflow arguments (templates)'),
  idReusePolicy: z
    .enum(['rejectDuplicate', 'allowDuplicateFailedOnly', 'allowDuplicate'])
    .optional()
    .describe(
      'whether an id of a closed workflow may start again (default `rejectDuplicate`: the action then attaches to it)',
    ),
  result: closed({
    completed: eventTypeSchema.optional().describe('the event recorded when the workflow completes (data: `result`)'),
    failed: eventTypeSchema
      .optional()
      .describe('the event recorded when it fails, is terminated, cancelled or times out (data: `error`)'),
  })
    .optional()
    .describe('watch the workflow: its outcome comes back as an event of this entity, once, across restarts'),
  timeout: durationSchema
    .optional()
    .describe('with `result`: how long to wait for the outcome; then the `failed` event says `timedOut: true`'),
  summary: z.string().optional().describe('shown in the Temporal Web UI'),
}).describe('start a Temporal workflow');

const signalWorkflowSchema = closed({
  workflowId: stringTemplateSchema.describe('the id of the running workflow (a template)'),
  signal: z.string().min(1).describe('the signal name'),
  args: z.array(templateSchema).optional().describe('the signal arguments (templates)'),
}).describe('signal a running Temporal workflow');

export const actionSchema = z
  .union([
    closed({
      call: nameSchema.describe('connector name'),
      path: stringTemplateSchema.optional().describe('appended to the connector URL'),
      method: z.enum(HTTP_METHODS).optional(),
      headers: z.record(z.string(), stringTemplateSchema).optional(),
      body: templateSchema.optional().describe('replaces the connector body'),
      summary: z.string().optional().describe('shown in the Temporal Web UI'),
      result: callResultSchema.optional(),
    }),
    closed({
      emit: z.union([
        eventTypeSchema,
        closed({
          type: eventTypeSchema,
          data: templateSchema.optional().describe('the new event data (default `{}`)'),
          subject: stringTemplateSchema.optional(),
          source: nameSchema.optional().describe('the source recorded on the emitted event (default: the engine)'),
        }),
      ]),
    }),
    closed({ start: startWorkflowSchema }),
    closed({ signal: signalWorkflowSchema }),
    closed({ set: reducersOrMap.describe('`{ path: value }` to set, or a list of reducers') }),
    closed({ end: z.union([z.literal(true), z.string()]).describe('`true`, or the reason the entity ends') }),
  ])
  .meta({
    id: 'Action',
    description:
      '`call` a connector, `emit` an event, `start` or `signal` a Temporal workflow, `set` state, or `end` the entity.',
  });

export const ruleSchema = closed({
  id: z
    .string()
    .regex(/^[A-Za-z][\w.-]*$/, 'rule ids start with a letter and hold letters, digits, ".", "_" or "-"')
    .describe('unique id of the rule; shown in traces, logs and idempotency keys'),
  description: z.string().optional().describe('what the rule is for, in plain words'),
  on: z
    .union([eventRefSchema, z.array(eventRefSchema).min(1)])
    .optional()
    .describe('the triggering event type(s); required unless `all` is given'),
  entity: nameSchema
    .optional()
    .describe(
      'the entity the rule runs in, when its trigger reaches several (`events.<type>.alsoReaches`); default: the ' +
        "trigger's `entity`",
    ),
  if: z.string().meta({ 'x-kind': 'CEL' }).optional().describe('CEL condition over `event`, `data`, `state`, `entity`'),
  within: followSchema.optional().describe('fire when `event` follows the trigger within `window`'),
  unless: unlessSchema
    .optional()
    .describe('fire at the deadline if `event` did NOT follow the trigger within `window`'),
  count: closed({
    times: z.int().min(1).describe('how many matching events'),
    window: durationSchema.describe('how far back matching events count'),
    mode: z
      .enum(['reset', 'sliding'])
      .optional()
      .describe(
        '`reset` (default): after firing, counting starts again from zero; `sliding`: every further match while ' +
          '`times` matches are within `window` fires again',
      ),
  })
    .optional()
    .describe('fire when `times` matching events arrive within `window`'),
  debounce: durationSchema.optional().describe('fire once the trigger has been quiet for this long'),
  throttle: durationSchema.optional().describe('fire at most once per interval'),
  all: z
    .union([joinSchema, closed({ of: joinSchema, window: durationSchema.optional() })])
    .optional()
    .describe('fire when all of these events arrived, in any order (`{ of, window }` to bound the time)'),
  once: z.boolean().optional().describe('fire at most once per entity'),
  then: z.array(actionSchema).min(1).describe('actions, run in order'),
  onFailure: z.array(actionSchema).optional().describe('actions run when a `call` exhausts its retries'),
}).meta({ id: 'Rule', description: 'When (`on`, `match`, `if`, timing) the entity does what (`then`).' });

export const configSchema = closed({
  name: z.string().min(1).describe('name of the configuration'),
  description: z.string().optional(),
  entities: z.record(nameSchema, entitySchema).describe('entity name → entity'),
  sources: z.record(nameSchema, sourceSchema).describe('source name → source'),
  events: z.record(eventTypeSchema, eventSchema).describe('event type → event'),
  connectors: z.record(nameSchema, connectorSchema).optional().describe('connector name → connector'),
  rules: z.array(ruleSchema).optional().describe('the rules, evaluated in order'),
}).meta({ id: 'Configuration', description: 'The event configuration file (YAML or JSON).' });

export type ConfigInput = z.infer<typeof configSchema>;
export type RuleInput = z.infer<typeof ruleSchema>;
export type ActionInput = z.infer<typeof actionSchema>;
export type ReducerInput = z.infer<typeof reducerSchema>;
export type ConnectorInput = z.infer<typeof connectorSchema>;
export type EventInput = z.infer<typeof eventSchema>;
export type EventRefInput = z.infer<typeof eventRefSchema>;
export type WebhookInput = z.infer<typeof webhookSchema>;
export type KafkaSourceInput = z.infer<typeof kafkaSourceSchema>;
