/**
 * Paused rules in the entity workflow (issue 18). A run learns the paused rules when it starts — read from the
 * pause records (`hunt.pause/rule/<id>`) by a local activity of their own behind RULE_PAUSE_PATCH, or since
 * RUN_START_PATCH by the one that also reads the run's config — and from the `rulePauses` signal that
 * `hunt rules pause|resume` sends to running entities (the whole set each time). The machine does the rest: a
 * paused rule is not evaluated, forgets its windows, counts and timers, and `explain` says it is paused. Each run
 * reads the records again: at its start, or since CARRY_RUN_START_PATCH by the run before it, just before it
 * continued as new (a signal that came after that read wins).
 */
import { patched, proxyLocalActivities, setHandler } from '@temporalio/workflow';
import type { EngineActivities } from '../activities/index.js';
import { rulePausesSignal } from '../src/contract/operations.js';

/** Patch id: a run reads the paused rules when it starts. */
export const RULE_PAUSE_PATCH = 'ops-rule-pause';

const { pausedRules } = proxyLocalActivities<EngineActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { maximumAttempts: 5, initialInterval: '200 milliseconds' },
});

function ruleIds(signal: unknown): string[] {
  const paused = (signal as { paused?: unknown } | undefined)?.paused;
  return Array.isArray(paused) ? paused.filter((id): id is string => typeof id === 'string') : [];
}

/** How many `rulePauses` signals the run has had: a read of the records older than the last one is stale. */
export type PauseSignals = () => number;

/**
 * Registers the `rulePauses` handler, then applies the paused rules read at start: `readAtStart` when the run
 * read them with its config (RUN_START_PATCH) or was handed them (CARRY_RUN_START_PATCH), else (in runs behind
 * RULE_PAUSE_PATCH) read here.
 */
export async function followRulePauses(
  apply: (ruleIds: string[]) => void,
  readAtStart?: string[],
): Promise<PauseSignals> {
  let signals = 0;
  setHandler(rulePausesSignal, (signal) => {
    signals++;
    apply(ruleIds(signal));
  });
  const count: PauseSignals = () => signals;
  if (readAtStart === undefined && !patched(RULE_PAUSE_PATCH)) return count;
  const paused = readAtStart ?? (await pausedRules());
  // A signal that came meanwhile is newer than what the activity read.
  if (signals === 0 && paused.length > 0) apply(paused);
  return count;
}
