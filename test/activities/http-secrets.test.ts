import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MIN_SECRET_LENGTH, SecretScrubber } from '../../activities/http-secrets.js';

describe('SecretScrubber', () => {
  it('replaces every occurrence, URL-encoded and JSON-escaped forms included', () => {
    const scrubber = new SecretScrubber();
    scrubber.add('p@ss "word"/x', 'env.PASSWORD');
    const text = `a p@ss "word"/x b ${encodeURIComponent('p@ss "word"/x')} c ${JSON.stringify('p@ss "word"/x')}`;
    expect(scrubber.scrub(text)).toBe('a [env.PASSWORD] b [env.PASSWORD] c "[env.PASSWORD]"');
  });

  it('replaces a longer secret whole before a shorter one it contains', () => {
    const scrubber = new SecretScrubber();
    scrubber.add('abcd', 'short');
    scrubber.add('abcdefgh', 'long');
    expect(scrubber.scrub('abcdefgh abcd')).toBe('[long] [short]');
  });

  it('ignores values too short to be secrets', () => {
    const scrubber = new SecretScrubber();
    scrubber.add('1'.repeat(MIN_SECRET_LENGTH - 1), 'tiny');
    expect(scrubber.scrub('111 222')).toBe('111 222');
  });

  it('leaves no trace of any secret in any text', () => {
    fc.assert(
      fc.property(fc.string({ minLength: MIN_SECRET_LENGTH }), fc.string(), fc.string(), (secret, before, after) => {
        const scrubber = new SecretScrubber();
        scrubber.add(secret, 'S');
        return !scrubber.scrub(`${before}${secret}${after}`).includes(secret);
      }),
    );
  });
});
