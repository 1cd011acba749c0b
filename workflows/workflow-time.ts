/**
 * Engine time inside the entity workflow: the only place workflow code reads a clock. Temporal's
 * workflow sandbox replaces `Date` with the workflow task's time, so this is the same on every replay.
 * Everything else receives the time as an argument (the pure rules never read it).
 */
// eslint-disable-next-line no-restricted-properties -- the one sanctioned, replay-safe clock read
export const workflowNow = (): number => Date.now();
