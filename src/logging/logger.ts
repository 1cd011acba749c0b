/**
 * The pino logger used everywhere outside workflows. JSON in production, pretty in a TTY; secrets
 * redacted. Temporal's runtime (and the workflow/activity `log`) is routed here by `installTemporalLogger`.
 */
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';
import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/** Paths pino replaces with `[redacted]` wherever they appear in a log line. */
export const redactedPaths = [
  'secret',
  'password',
  'token',
  'apiKey',
  'authorization',
  '*.secret',
  '*.password',
  '*.token',
  '*.apiKey',
  '*.authorization',
  'headers.authorization',
  'headers["x-api-key"]',
  'headers["webhook-signature"]',
  'headers["x-hub-signature-256"]',
  'req.headers.authorization',
  'req.headers["x-api-key"]',
  'req.headers["webhook-signature"]',
  'req.headers["x-hub-signature-256"]',
];

export interface LoggerSettings {
  LOG_LEVEL: string;
  LOG_FORMAT: 'json' | 'pretty' | 'auto';
}

/** Creates the process logger; `destination` lets tests capture output. */
export function createLogger(settings: LoggerSettings, destination?: pino.DestinationStream): Logger {
  const options: LoggerOptions = {
    level: settings.LOG_LEVEL,
    base: { service: 'treasure-hunt' },
    redact: { paths: redactedPaths, censor: '[redacted]' },
  };
  if (destination) return pino(options, destination);
  const pretty = settings.LOG_FORMAT === 'pretty' || (settings.LOG_FORMAT === 'auto' && process.stdout.isTTY);
  if (pretty) {
    return pino({
      ...options,
      transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname,service' } },
    });
  }
  return pino(options);
}

const temporalLevels: Record<LogEntry['level'], 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * SDK warnings that describe the engine's design, not a fault: the connector workers run activities only
 * (each flow-controlled connector has its own task queue), so the SDK says once per queue that they poll no
 * workflows; the sandbox's prize worker runs a workflow only, so it polls no activities. They stay visible at
 * debug level.
 */
const expectedSdkWarnings = new Set([
  'No workflows registered, not polling for workflow tasks',
  'No activities registered, not polling for activity tasks',
]);

/**
 * Routes the Temporal runtime's logs (SDK, workflow `log`, activity `log`) into pino. Must run
 * before any Worker or NativeConnection is created; only the first call in a process takes effect.
 */
export function installTemporalLogger(logger: Logger): void {
  const child = logger.child({ component: 'temporal' });
  try {
    Runtime.install({
      logger: new DefaultLogger('DEBUG', (entry) => {
        const level =
          entry.level === 'WARN' && expectedSdkWarnings.has(entry.message) ? 'debug' : temporalLevels[entry.level];
        child[level]({ ...entry.meta }, entry.message);
      }),
    });
  } catch (err) {
    // The runtime was already installed (e.g. by a previous call in tests): keep the first one.
    if (!(err instanceof Error) || !/already/i.test(err.message)) throw err;
  }
}
