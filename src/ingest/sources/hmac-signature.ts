/**
 * The one HMAC path every preset verifies through: compute the digest over the exact bytes the sender
 * signed, decode what the sender sent, and compare in constant time. Also the shared timestamp check.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export type HmacAlgorithm = 'sha1' | 'sha256' | 'sha512';
export type DigestEncoding = 'hex' | 'base64';

/** A verifier's answer: ok, or which 401 and why. */
export type Verification =
  { ok: true } | { ok: false; code: 'MISSING_SIGNATURE' | 'BAD_SIGNATURE' | 'STALE_SIGNATURE'; detail: string };

export const VERIFIED: Verification = { ok: true };

const HEX = /^[0-9a-fA-F]+$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;

/** HMAC of the parts (concatenated) under `secret`. */
export function hmac(algorithm: HmacAlgorithm, secret: string | Buffer, ...parts: Array<string | Buffer>): Buffer {
  const mac = createHmac(algorithm, secret);
  for (const part of parts) mac.update(part);
  return mac.digest();
}

/** True when `given` (text in `encoding`) is exactly `expected`; constant-time for equal lengths. */
export function digestEquals(given: string, expected: Buffer, encoding: DigestEncoding): boolean {
  const text = given.trim();
  if (encoding === 'hex' ? !HEX.test(text) : !BASE64.test(text)) return false;
  const bytes = Buffer.from(text, encoding === 'hex' ? 'hex' : 'base64');
  return bytes.length === expected.length && timingSafeEqual(bytes, expected);
}

/** True when any secret's digest over `parts` equals any of the `given` signatures. */
export function anyMatches(
  given: string[],
  secrets: Array<string | Buffer>,
  algorithm: HmacAlgorithm,
  encoding: DigestEncoding,
  ...parts: Array<string | Buffer>
): boolean {
  // Every comparison runs, so timing does not tell which secret or signature came close.
  let matched = false;
  for (const secret of secrets) {
    const expected = hmac(algorithm, secret, ...parts);
    for (const signature of given) if (digestEquals(signature, expected, encoding)) matched = true;
  }
  return matched;
}

/** Checks a signed Unix timestamp (seconds) against now ± tolerance; undefined when it is fine. */
export function timestampProblem(
  value: string | undefined,
  toleranceMs: number,
  now: number,
): Verification | undefined {
  if (value === undefined || value === '') {
    return { ok: false, code: 'MISSING_SIGNATURE', detail: 'the signed timestamp is missing' };
  }
  if (!/^\d{1,12}$/.test(value.trim())) {
    return { ok: false, code: 'BAD_SIGNATURE', detail: `the signed timestamp "${value}" is not Unix seconds` };
  }
  const skew = Math.abs(now - Number(value.trim()) * 1000);
  if (skew > toleranceMs) {
    return {
      ok: false,
      code: 'STALE_SIGNATURE',
      detail: `the signed timestamp is ${Math.round(skew / 1000)} s from now; at most ${toleranceMs / 1000} s are allowed (a replay, or a clock off)`,
    };
  }
  return undefined;
}

export function missing(header: string): Verification {
  return { ok: false, code: 'MISSING_SIGNATURE', detail: `the ${header} header is required` };
}

export function mismatch(header: string, what = 'the body'): Verification {
  return { ok: false, code: 'BAD_SIGNATURE', detail: `the ${header} signature does not match ${what}` };
}
