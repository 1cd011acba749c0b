/**
 * Failure behaviours a sandbox partner system can be told to show, and the per-system state they
 * leave behind. Commands are plain data (API) or short phrases (`POST /_control`, the CLI):
 * `fail first 3`, `fail with status 429 retry-after 2`, `delay 500ms`, `down for 2s`, `reset`.
 */
import { EngineError } from '../contract/engine-error.js';

export type SandboxBehaviour =
  /** The next `count` requests fail with `status` (default 503). */
  | { kind: 'failFirst'; count: number; status?: number; retryAfter?: string }
  /** Every request fails with `status` until reset. */
  | { kind: 'failWith'; status: number; retryAfter?: string }
  /** Every response is held back `ms` milliseconds. */
  | { kind: 'delay'; ms: number }
  /** Connections are closed without an answer for `ms` milliseconds. */
  | { kind: 'down'; ms: number }
  /** Back to healthy: no failures, no delay, not down. */
  | { kind: 'reset' };

/** What one system currently does to requests. */
export interface SystemBehaviourState {
  failRemaining: number;
  failFirstStatus: number;
  failFirstRetryAfter?: string | undefined;
  failAlwaysStatus?: number;
  failAlwaysRetryAfter?: string | undefined;
  delayMs: number;
  /** Clock time (ms) until which the system is down. */
  downUntil: number;
}

/** A behaviour command that could not be understood. */
export class SandboxBehaviourError extends EngineError {
  override readonly name = 'SandboxBehaviourError';
  readonly code = 'SANDBOX_BEHAVIOUR_INVALID';
}

export const DEFAULT_FAIL_STATUS = 503;

/** A healthy system. */
export function healthyState(): SystemBehaviourState {
  return { failRemaining: 0, failFirstStatus: DEFAULT_FAIL_STATUS, delayMs: 0, downUntil: 0 };
}

/** Applies one behaviour to a system's state; behaviours of different kinds combine (delay + fail first). */
export function applyBehaviour(
  state: SystemBehaviourState,
  behaviour: SandboxBehaviour,
  now: number,
): SystemBehaviourState {
  switch (behaviour.kind) {
    case 'failFirst':
      return {
        ...state,
        failRemaining: behaviour.count,
        failFirstStatus: behaviour.status ?? DEFAULT_FAIL_STATUS,
        failFirstRetryAfter: behaviour.retryAfter,
      };
    case 'failWith':
      return { ...state, failAlwaysStatus: behaviour.status, failAlwaysRetryAfter: behaviour.retryAfter };
    case 'delay':
      return { ...state, delayMs: behaviour.ms };
    case 'down':
      return { ...state, downUntil: now + behaviour.ms };
    case 'reset':
      return healthyState();
  }
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)?$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };

/** Parses `500`, `500ms`, `2s`, `1m` into milliseconds (bare numbers are milliseconds). */
export function parseSandboxDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new SandboxBehaviourError(`"${text}" is not a duration; write e.g. 500ms, 2s or 1m`);
  return Math.round(Number(match[1]) * (UNIT_MS[match[2] ?? 'ms'] ?? 1));
}

function parseStatus(text: string | undefined): number {
  const status = Number(text);
  if (!Number.isInteger(status) || status < 100 || status > 599) {
    throw new SandboxBehaviourError(`"${text}" is not an HTTP status; write a number from 100 to 599`);
  }
  return status;
}

function statusText(value: unknown): string | undefined {
  return typeof value === 'number' || typeof value === 'string' ? String(value) : undefined;
}

const USAGE =
  'write one of: "fail first N [with status S] [retry-after R]", "fail with status S [retry-after R]", ' +
  '"delay D", "down for T", "reset"';

/** Parses a behaviour phrase such as `fail first 2 with status 429 retry-after 1`. */
export function parseBehaviour(phrase: string): SandboxBehaviour {
  const words = phrase.trim().toLowerCase().split(/\s+/);
  const rest = (from: number) => words.slice(from);
  const options = (tail: string[]): { status?: number; retryAfter?: string } => {
    const out: { status?: number; retryAfter?: string } = {};
    for (let i = 0; i < tail.length; i++) {
      const word = tail[i];
      if (word === 'with' && tail[i + 1] === 'status') {
        out.status = parseStatus(tail[i + 2]);
        i += 2;
      } else if (word === 'status') {
        out.status = parseStatus(tail[i + 1]);
        i += 1;
      } else if (word === 'retry-after' && tail[i + 1] !== undefined) {
        out.retryAfter = tail[i + 1] as string;
        i += 1;
      } else {
        throw new SandboxBehaviourError(`unexpected "${word}" in "${phrase}"; ${USAGE}`);
      }
    }
    return out;
  };

  if (words[0] === 'reset' && words.length === 1) return { kind: 'reset' };
  if (words[0] === 'delay' && words.length === 2) return { kind: 'delay', ms: parseSandboxDuration(words[1] ?? '') };
  if (words[0] === 'down' && words[1] === 'for' && words.length === 3) {
    return { kind: 'down', ms: parseSandboxDuration(words[2] ?? '') };
  }
  if (words[0] === 'fail' && words[1] === 'first') {
    const count = Number(words[2]);
    if (!Number.isInteger(count) || count < 0) {
      throw new SandboxBehaviourError(`"${words[2]}" is not a count in "${phrase}"; ${USAGE}`);
    }
    return { kind: 'failFirst', count, ...options(rest(3)) };
  }
  if (words[0] === 'fail' && words[1] === 'with') {
    const { status, retryAfter } = options(rest(1));
    if (status === undefined) throw new SandboxBehaviourError(`missing status in "${phrase}"; ${USAGE}`);
    return { kind: 'failWith', status, ...(retryAfter !== undefined && { retryAfter }) };
  }
  throw new SandboxBehaviourError(`cannot understand "${phrase}"; ${USAGE}`);
}

/** Validates a behaviour given as data (from JSON), so a typo fails loudly instead of doing nothing. */
export function toBehaviour(value: unknown): SandboxBehaviour {
  if (typeof value === 'string') return parseBehaviour(value);
  if (value === null || typeof value !== 'object')
    throw new SandboxBehaviourError(`behaviour must be a phrase or an object; ${USAGE}`);
  const v = value as Record<string, unknown>;
  const num = (key: string): number => {
    const n = v[key];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) {
      throw new SandboxBehaviourError(`behaviour "${String(v.kind)}" needs a non-negative number "${key}"`);
    }
    return n;
  };
  const retryAfter =
    typeof v.retryAfter === 'string' || typeof v.retryAfter === 'number' ? String(v.retryAfter) : undefined;
  switch (v.kind) {
    case 'failFirst':
      return {
        kind: 'failFirst',
        count: num('count'),
        ...(v.status !== undefined && { status: parseStatus(statusText(v.status)) }),
        ...(retryAfter !== undefined && { retryAfter }),
      };
    case 'failWith':
      return {
        kind: 'failWith',
        status: parseStatus(statusText(v.status)),
        ...(retryAfter !== undefined && { retryAfter }),
      };
    case 'delay':
      return { kind: 'delay', ms: num('ms') };
    case 'down':
      return { kind: 'down', ms: num('ms') };
    case 'reset':
      return { kind: 'reset' };
    default:
      throw new SandboxBehaviourError(
        `unknown behaviour kind "${String(v.kind)}"; kinds: failFirst, failWith, delay, down, reset`,
      );
  }
}
