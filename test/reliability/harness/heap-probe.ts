/** Heap use after a full garbage collection, so "memory is flat" compares live data, not garbage. */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Bytes of live heap after collecting garbage (twice: finalizers free more on the second pass). */
export async function liveHeapBytes(): Promise<number> {
  gc();
  await new Promise((resolve) => setImmediate(resolve));
  gc();
  return process.memoryUsage().heapUsed;
}
