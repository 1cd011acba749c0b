import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isRetryableStatus, isSuccessStatus, parseRetryAfter } from '../../activities/http-failure.js';

describe('parseRetryAfter', () => {
  const now = Date.parse('2026-05-01T12:00:00Z');

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 3 ', now)).toBe(3_000);
  });

  it('reads an HTTP date relative to now', () => {
    expect(parseRetryAfter('Fri, 01 May 2026 12:00:30 GMT', now)).toBe(30_000);
  });

  it('ignores absent, zero, past and unparsable values', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter(undefined, now)).toBeUndefined();
    expect(parseRetryAfter('0', now)).toBeUndefined();
    expect(parseRetryAfter('Fri, 01 May 2026 11:59:00 GMT', now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-5', now)).toBeUndefined();
  });

  it('never returns a non-positive or non-finite delay', () => {
    fc.assert(
      fc.property(fc.string(), (value) => {
        const ms = parseRetryAfter(value, now);
        return ms === undefined || (Number.isFinite(ms) && ms > 0);
      }),
    );
  });
});

describe('status classification', () => {
  it('defaults success to 2xx', () => {
    expect(isSuccessStatus(200, [])).toBe(true);
    expect(isSuccessStatus(299, [])).toBe(true);
    expect(isSuccessStatus(300, [])).toBe(false);
    expect(isSuccessStatus(199, [])).toBe(false);
  });

  it('uses the connector ranges when given', () => {
    expect(
      isSuccessStatus(404, [
        [200, 299],
        [404, 404],
      ]),
    ).toBe(true);
    expect(isSuccessStatus(201, [[200, 200]])).toBe(false);
  });

  it('retries 408, 429 and 5xx only', () => {
    expect([408, 429, 500, 503, 599].every(isRetryableStatus)).toBe(true);
    expect([300, 400, 401, 403, 404, 409, 422].some(isRetryableStatus)).toBe(false);
  });
});
