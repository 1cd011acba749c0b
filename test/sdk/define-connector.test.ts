/**
 * The connector SDK: `defineConnector` refuses what the worker could not run, and the failure helpers classify
 * as the HTTP connector does (the same retry-classification module), turned into Temporal failures by the
 * same `classifiedFailure`.
 */
import { ApplicationFailure } from '@temporalio/common';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { classifiedFailure } from '../../activities/http-failure.js';
import {
  defineConnector,
  failureFromStatus,
  isConnectorFailure,
  isDefinedConnector,
  nonRetryable,
  retryable,
  retryAfter,
} from '../../src/sdk/define-connector.js';

describe('defineConnector', () => {
  it('returns a frozen, recognisable connector', () => {
    const connector = defineConnector({ name: 'mailer-2', input: z.object({ to: z.string() }), run: () => null });
    expect(isDefinedConnector(connector)).toBe(true);
    expect(Object.isFrozen(connector)).toBe(true);
    expect(isDefinedConnector({ name: 'mailer-2', input: z.object({}), run: () => null })).toBe(false);
  });

  it('refuses a bad name, an input that is not zod and a missing run', () => {
    const input = z.object({});
    expect(() => defineConnector({ name: '2fast', input, run: () => null })).toThrow(/name must start with a letter/);
    expect(() => defineConnector({ name: 'x', input: {} as never, run: () => null })).toThrow(/input must be a zod/);
    expect(() => defineConnector({ name: 'x', input, run: undefined as never })).toThrow(/run must be a function/);
  });
});

describe('failure helpers', () => {
  it('say retryable or not, with a type', () => {
    const busy = retryable('busy');
    const refused = nonRetryable('no such mailbox', { type: 'RecipientRejected' });
    expect(isConnectorFailure(busy) && isConnectorFailure(refused)).toBe(true);
    expect([busy.retryable, busy.type]).toEqual([true, 'ConnectorError']);
    expect([refused.retryable, refused.type]).toEqual([false, 'RecipientRejected']);
    expect(isConnectorFailure(new Error('plain'))).toBe(false);
  });

  it('retryAfter takes milliseconds, a date or a Retry-After header', () => {
    expect(retryAfter(1500, 'later').retryAfterMs).toBe(1500);
    const at = retryAfter(new Date(Date.now() + 60_000), 'later').retryAfterMs!;
    expect(at).toBeGreaterThan(55_000);
    expect(at).toBeLessThanOrEqual(60_000);
    expect(retryAfter('7', 'later').retryAfterMs).toBe(7000);
    expect(retryAfter('soon', 'later')).toMatchObject({ retryable: true, retryAfterMs: undefined });
  });

  it('failureFromStatus classifies as HTTP connectors do', () => {
    expect([408, 429, 500, 503].map((s) => failureFromStatus(s, 'x').retryable)).toEqual([true, true, true, true]);
    expect([400, 401, 404, 422].map((s) => failureFromStatus(s, 'x').retryable)).toEqual([false, false, false, false]);
    expect(failureFromStatus(429, 'slow down', { retryAfter: '3' }).retryAfterMs).toBe(3000);
  });

  it('become Temporal failures through the shared classifiedFailure (delay only when retryable)', () => {
    const later = classifiedFailure({
      message: 'm',
      type: 'Busy',
      retryable: true,
      details: { attempt: 1 },
      retryAfterMs: 900,
    });
    expect(later).toBeInstanceOf(ApplicationFailure);
    expect([later.nonRetryable, later.type, later.nextRetryDelay]).toEqual([false, 'Busy', 900]);
    const never = classifiedFailure({
      message: 'm',
      type: 'X',
      retryable: false,
      details: { attempt: 2 },
      retryAfterMs: 900,
    });
    expect([never.nonRetryable, never.nextRetryDelay]).toEqual([true, undefined]);
  });
});
