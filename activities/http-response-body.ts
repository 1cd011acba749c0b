/**
 * Reads at most N bytes of a response body: history only records a bounded prefix, and a partner
 * answering with megabytes must not cost the worker megabytes.
 */

export interface LimitedBody {
  text: string;
  /** True when the body was longer than the limit. */
  truncated: boolean;
}

/** Reads up to `limit` bytes of `response`'s body as UTF-8 (never splitting a character) and discards the rest. */
export async function readLimitedBody(response: Response, limit: number): Promise<LimitedBody> {
  if (!response.body) return { text: '', truncated: false };
  const reader = response.body.getReader() as ReadableStreamDefaultReader<Uint8Array>;
  const chunks: Uint8Array[] = [];
  let size = 0;
  let truncated = false;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    if (size > limit) {
      truncated = true;
      await reader.cancel();
      break;
    }
  }
  return { text: utf8Prefix(Buffer.concat(chunks), limit), truncated };
}

/** The first `limit` bytes of `text` as UTF-8, without a dangling partial character at the cut. */
export function truncateUtf8(text: string, limit: number): LimitedBody {
  const bytes = Buffer.from(text, 'utf8');
  return bytes.length <= limit ? { text, truncated: false } : { text: utf8Prefix(bytes, limit), truncated: true };
}

function utf8Prefix(bytes: Buffer, limit: number): string {
  let end = Math.min(bytes.length, limit);
  if (end < bytes.length) {
    // Cutting inside a character: step back over continuation bytes (10xxxxxx) to its first byte.
    while (end > 0 && ((bytes[end] ?? 0) & 0xc0) === 0x80) end--;
  }
  return bytes.subarray(0, end).toString('utf8');
}
