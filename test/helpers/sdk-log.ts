/**
 * The Temporal SDK's logs in tests (workers, activities, the workflow `log`): kept for the test that is
 * running and printed only when it fails (test/helpers/sdk-log-setup.ts), so a green run stays quiet —
 * many tests fail activities on purpose — and a red one shows what the workers said.
 */
import { DefaultLogger, Runtime, type LogEntry } from '@temporalio/worker';

const MAX_KEPT = 2_000;

interface SdkLogBuffer {
  entries: LogEntry[];
  installed: boolean;
}

/** One buffer per process, shared by every module instance vitest makes of this file. */
export function sdkLogBuffer(): SdkLogBuffer {
  const holder = globalThis as { huntSdkLog?: SdkLogBuffer };
  return (holder.huntSdkLog ??= { entries: [], installed: false });
}

/** Routes the SDK's logs into the test buffer; call before the first Worker or NativeConnection. */
export function installSdkTestLogger(): void {
  const buffer = sdkLogBuffer();
  if (buffer.installed) return;
  buffer.installed = true;
  Runtime.install({
    logger: new DefaultLogger('INFO', (entry) => {
      buffer.entries.push(entry);
      if (buffer.entries.length > MAX_KEPT) buffer.entries.shift();
    }),
  });
}
