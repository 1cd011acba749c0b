import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { readLimitedBody, truncateUtf8 } from '../../activities/http-response-body.js';

describe('truncateUtf8', () => {
  it('keeps text within the limit as is', () => {
    expect(truncateUtf8('héllo', 6)).toEqual({ text: 'héllo', truncated: false });
  });

  it('cuts before a character that would be split', () => {
    expect(truncateUtf8('a€', 3)).toEqual({ text: 'a', truncated: true });
    expect(truncateUtf8('a😀b', 5)).toEqual({ text: 'a😀', truncated: true });
  });

  it('always yields a prefix of the text within the byte limit', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.nat(64), (text, limit) => {
        const { text: cut, truncated } = truncateUtf8(text, limit);
        const bytes = Buffer.byteLength(cut);
        if (!truncated) return cut === text && Buffer.byteLength(text) <= limit;
        // A cut loses at most the three leading bytes of one four-byte character.
        return text.startsWith(cut) && Buffer.byteLength(text) > limit && bytes <= limit && bytes > limit - 4;
      }),
    );
  });
});

describe('readLimitedBody', () => {
  it('reads a short body whole', async () => {
    expect(await readLimitedBody(new Response('{"ok":true}'), 100)).toEqual({ text: '{"ok":true}', truncated: false });
  });

  it('stops reading a long body at the limit', async () => {
    let pulled = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        pulled++;
        controller.enqueue(new Uint8Array(1024).fill(120));
        if (pulled > 1000) controller.close();
      },
    });
    const body = await readLimitedBody(new Response(stream), 2000);
    expect(body.truncated).toBe(true);
    expect(body.text).toBe('x'.repeat(2000));
    expect(pulled).toBeLessThan(10);
  });

  it('handles an empty body', async () => {
    expect(await readLimitedBody(new Response(null, { status: 204 }), 10)).toEqual({ text: '', truncated: false });
  });
});
