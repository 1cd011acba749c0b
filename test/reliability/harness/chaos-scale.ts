/**
 * Sizes of the reliability scenarios: short by default (`npm test`), the full sizes with
 * `CHAOS=full` (`npm run chaos`).
 */

/** True when the full-size suite was asked for. */
export const CHAOS_FULL = process.env.CHAOS === 'full';

/** The short size by default, the full size under `CHAOS=full`. */
export function chaosSize<T>(short: T, full: T): T {
  return CHAOS_FULL ? full : short;
}
