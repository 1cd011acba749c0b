/**
 * B1's no-op activity. It reports when it ran (the bench's "action received" moment, as the sandbox's
 * request log is for the engine) through a callback the bench installs.
 */

/** Called with the event id when the activity runs; the bench installs it per target. */
export type ActivityObserver = (eventId: string) => void;

/** Creates the baseline activities, reporting each run to `observe`. */
export function createBaselineActivities(observe: ActivityObserver) {
  return {
    async noop(eventId: string): Promise<void> {
      observe(eventId);
    },
  };
}

/** The baseline activities' type, for `proxyActivities` in the baseline workflows. */
export type BaselineActivities = ReturnType<typeof createBaselineActivities>;
