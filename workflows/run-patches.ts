/**
 * The patches a run of the entity workflow follows. Each behaviour change for running entities went behind a
 * patch of its own, and a run asks `patched()` about each: a new run records a marker for every one it asks
 * about, and the SDK writes the TemporalChangeVersion search attribute with each marker. That was five markers and
 * five such writes at the start of every run, two more of each at its first event, and the
 * compaction of an idle entity (issue 20) starts a run each time, so a compacted entity grew back past
 * `minHistory` with its first event and compacted again after every one.
 *
 * A run that records RUN_START_PATCH follows every patch before it without asking about them: one marker in
 * all. Runs that do not record it (they started before it) ask about each, as they always did, so their
 * histories replay.
 *
 * A run whose input carries its start (CARRY_RUN_START_PATCH: the previous run read its config and paused rules
 * before it continued as new) asks no patch at all. Only code that follows RUN_START_PATCH and
 * CARRY_RUN_START_PATCH writes such an input, so the input says which patches the run follows, and replay sees the
 * same input: its first workflow task records nothing.
 */
import { patched } from '@temporalio/workflow';

/**
 * Patch id: the run follows every earlier patch without recording their markers, reads its config and the
 * paused rules in one local activity (`runStart`) instead of two, and does not rewrite the search attributes
 * and memo its previous run carried over. Each local activity is an activation of its own when the run is
 * replayed, which is what an event to an entity the worker does not hold costs.
 */
export const RUN_START_PATCH = 'run-start-one-call';

/**
 * Patch id: before it continues as new, a run reads the next run's config and paused rules (local activity
 * `nextRunStart`) and hands them on in the next run's input, with the config it holds when the version stays. The
 * next run then starts with no local activity and no marker: its history starts with four events instead of
 * seven, and a worker that does not hold it replays one activation less (an eviction, the start, the event).
 * Asked at continue-as-new by runs that were not given their own start; a run given its start follows it.
 */
export const CARRY_RUN_START_PATCH = 'carry-run-start';

/**
 * The patches from before RUN_START_PATCH, which a current run follows without asking. A patch added after it
 * is asked with `patched()` as usual: a run that started before it must not follow it.
 */
export const EARLIER_PATCHES: ReadonlySet<string> = new Set([
  'bounded-runs-carry-inbox',
  'sparse-visibility',
  'inline-delivery',
  'handle-inbox-before-continue-as-new',
  'check-migrate-target',
  'compact-when-idle',
  'language-semantics-16',
  'actions-result-events',
  'actions-workflow-actions',
  'ops-connector-pause',
  'ops-paused-calls-in-call-order',
  'ops-rule-pause',
]);

export class RunPatches {
  private constructor(
    /** Whether the run follows RUN_START_PATCH (recorded it, or was given its start): every earlier patch. */
    readonly current: boolean,
    /** Whether the run was given its start by the previous run (CARRY_RUN_START_PATCH). */
    readonly startCarried: boolean,
  ) {}

  /**
   * Asked first thing in a run, before any other patch: where its marker sits in a run's history. A run given its
   * start asks nothing (see CARRY_RUN_START_PATCH).
   */
  static atRunStart(input: { start?: unknown }): RunPatches {
    if (input.start !== undefined) return new RunPatches(true, true);
    return new RunPatches(patched(RUN_START_PATCH), false);
  }

  /** Whether the run hands the next one its start (CARRY_RUN_START_PATCH); asked once, at continue-as-new. */
  carriesRunStart(): boolean {
    return this.startCarried || patched(CARRY_RUN_START_PATCH);
  }

  /**
   * Whether the run follows patch `id`, one of EARLIER_PATCHES: always in a current run, else as `patched(id)`
   * says (replay-safe). Any other id is a mistake in the workflow code, refused.
   */
  has(id: string): boolean {
    if (!EARLIER_PATCHES.has(id)) throw new Error(`patch ${id} is not from before ${RUN_START_PATCH}: ask patched()`);
    return this.current || patched(id);
  }
}
