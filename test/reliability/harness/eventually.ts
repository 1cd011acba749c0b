/** Polling until a condition holds, for assertions about a distributed system that settles over time. */

/** Polls `probe` until `accept` holds; throws with the last value after `timeoutMs`. */
export async function eventually<T>(
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  let last = await probe();
  while (!accept(last)) {
    if (Date.now() > deadline) {
      const shown = JSON.stringify(last) ?? String(last);
      throw new Error(
        `${options.what ?? 'condition'} not met within ${timeoutMs} ms; last value: ${shown.slice(0, 2_000)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 500));
    last = await probe();
  }
  return last;
}
