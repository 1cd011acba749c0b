/**
 * One validated settings object, built from the environment once at startup. Nothing else in the
 * program reads `process.env` for configuration: it receives these settings.
 */
import path from 'node:path';
import { z } from 'zod';
import { EngineError } from '../contract/engine-error.js';

const port = z.coerce.number().int().min(0).max(65_535);
const booleanFlag = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((value) => value === 'true' || value === '1' || value === 'yes');
const hostPort = z
  .string()
  .regex(/^[^\s:/]+:\d{1,5}$/, 'expected host:port, e.g. 127.0.0.1:7233 or my-ns.a1b2c.tmprl.cloud:7233');

export const settingsSchema = z
  .object({
    /** Where Temporal is; when set, no embedded dev server is started. */
    TEMPORAL_ADDRESS: hostPort.optional(),
    TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
    /** TLS to the Temporal frontend (Temporal Cloud, or a cluster with mTLS). */
    TEMPORAL_TLS: booleanFlag.default(false),
    TEMPORAL_TLS_CERT_PATH: z.string().min(1).optional(),
    TEMPORAL_TLS_KEY_PATH: z.string().min(1).optional(),
    TEMPORAL_TLS_SERVER_NAME: z.string().min(1).optional(),
    TEMPORAL_API_KEY: z.string().min(1).optional(),
    /** Path to a `temporal` CLI binary to use instead of searching for or building one. */
    TEMPORAL_CLI_PATH: z.string().min(1).optional(),
    /** Embedded dev server ports (ignored with TEMPORAL_ADDRESS). */
    TEMPORAL_DEV_PORT: port.default(7233),
    TEMPORAL_DEV_UI_PORT: port.default(8233),
    HUNT_TASK_QUEUE: z
      .string()
      .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, dot, dash and underscore only')
      .default('treasure-hunt'),
    HUNT_HOST: z.string().min(1).default('127.0.0.1'),
    HUNT_PORT: port.default(3000),
    HUNT_CONFIG: z.string().min(1).default('examples/treasure-hunt/hunt.yaml'),
    HUNT_STATE_DIR: z.string().min(1).default('.hunt'),
    /** What `npm start` runs in this process: everything, or one role (docker-compose runs them apart). */
    HUNT_ROLE: z.enum(['all', 'worker', 'ingest']).default('all'),
    /** Start the sandbox partner systems (mailer, payouts, leaderboard) with `npm start`. */
    HUNT_SANDBOX: booleanFlag.default(true),
    HUNT_SANDBOX_PORT: port.default(3100),
    /** Events for one entity arriving within this many ms are delivered in one signal. */
    HUNT_COALESCE_MS: z.coerce.number().int().min(0).max(1_000).default(0),
    HUNT_BODY_LIMIT: z.coerce.number().int().min(1_024).default(1_048_576),
    HUNT_MAX_BATCH: z.coerce.number().int().min(1).max(10_000).default(100),
    /** Bearer token the ingest API's /entities endpoints require; unset leaves them open (warned at startup). */
    HUNT_ADMIN_TOKEN: z.string().min(16, 'use at least 16 characters').optional(),
    /** Append every verified native webhook request to this JSONL file (for `hunt simulate --requests`). */
    HUNT_RECORD_REQUESTS: z.string().min(1).optional(),
    HUNT_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(0).optional(),
    /** Threads that run workflow code in the worker (default 2: src/worker/worker.ts DEFAULT_WORKFLOW_THREADS). */
    HUNT_WORKFLOW_THREADS: z.coerce.number().int().min(1).max(16).optional(),
    /** Divides every rule window (nudge after 45m, lock-out within 10m, …) for demos: 60 turns a minute into a second. */
    HUNT_DEMO_SPEED: z.coerce.number().int('a whole number, e.g. 60').min(1).max(3_600).default(1),
    /** Base URL of the Temporal Web UI, for links from the live map (default: the embedded dev server's UI). */
    TEMPORAL_UI_URL: z.url().optional(),
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    LOG_FORMAT: z.enum(['json', 'pretty', 'auto']).default('auto'),
  })
  .superRefine((value, ctx) => {
    if (Boolean(value.TEMPORAL_TLS_CERT_PATH) !== Boolean(value.TEMPORAL_TLS_KEY_PATH)) {
      ctx.addIssue({
        code: 'custom',
        path: [value.TEMPORAL_TLS_CERT_PATH ? 'TEMPORAL_TLS_KEY_PATH' : 'TEMPORAL_TLS_CERT_PATH'],
        message: 'TEMPORAL_TLS_CERT_PATH and TEMPORAL_TLS_KEY_PATH must be set together (mTLS client certificate)',
      });
    }
  });

export type RawSettings = z.infer<typeof settingsSchema>;

export interface Settings extends RawSettings {
  /** Absolute state directory. */
  stateDir: string;
  /** Absolute path of the config file. */
  configPath: string;
  /** True when the engine must start (or reuse) the embedded dev server. */
  embedded: boolean;
  /** Where clients connect. */
  temporalAddress: string;
}

/** A setting had a wrong value: names every variable at fault and what it expects. */
export class SettingsError extends EngineError {
  override readonly name = 'SettingsError';
  readonly code = 'SETTINGS_INVALID';
  constructor(readonly problems: Array<{ variable: string; message: string }>) {
    super(
      `Invalid settings:\n${problems.map((p) => `  ${p.variable}: ${p.message}`).join('\n')}\n` +
        'Fix the environment variables above (see the Settings table in README.md).',
    );
  }
}

/** Builds the settings from an environment (default: `process.env`); throws SettingsError naming each bad variable. */
export function loadSettings(env: Record<string, string | undefined> = process.env, cwd = process.cwd()): Settings {
  // Empty strings count as unset, so `FOO= npm start` does not trip validation.
  const defined = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = settingsSchema.safeParse(defined);
  if (!parsed.success) {
    throw new SettingsError(
      parsed.error.issues.map((issue) => ({
        variable: issue.path.map(String).join('.') || '(environment)',
        message: issue.message,
      })),
    );
  }
  const raw = parsed.data;
  const embedded = raw.TEMPORAL_ADDRESS === undefined;
  return {
    ...raw,
    stateDir: path.resolve(cwd, raw.HUNT_STATE_DIR),
    configPath: path.resolve(cwd, raw.HUNT_CONFIG),
    embedded,
    temporalAddress: raw.TEMPORAL_ADDRESS ?? `127.0.0.1:${raw.TEMPORAL_DEV_PORT}`,
  };
}
