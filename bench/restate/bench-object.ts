/**
 * The bench's workload as a Restate virtual object, written as a team would write it with
 * `@restatedev/restate-sdk`: one object per entity key; `handle` folds the events into the key's state
 * (the bench configuration's reducers: `scans + 1`, `last = data.checkpoint`) and, with an action, calls the
 * same sandbox sink through a durable step (`ctx.run`) per event, carrying the engine's idempotency key
 * (`team/<key>:<eventId>:counted:0`) so a retried step acts once downstream. Re-delivery of an event is
 * deduplicated by Restate itself: the target sends each invocation with an `idempotency-key`.
 */
import * as restate from '@restatedev/restate-sdk';
import type { EngineEvent } from '../../src/rules/types.js';
import { keyOf } from '../bench-events.js';

/** The entity's state, as the bench configuration's `initial` and reducers define it. */
export interface TeamState {
  scans: number;
  last: string;
}

export interface HandleInput {
  events: EngineEvent[];
}

export interface BenchObjectOptions {
  /** The object's name (one per target, so targets sharing a server stay apart). */
  name: string;
  /** The sandbox sink's URL; without it the object only folds (scenarios 1 and 2). */
  sinkUrl?: string;
  /** Called when the handler has folded these events (before its durable steps): the probe. */
  onHandled: (eventIds: string[]) => void;
}

/** The bench configuration's rule `counted` (`if: state.scans > 0`) and its one action's key. */
const RULE_ID = 'counted';
const INITIAL: TeamState = { scans: 0, last: '' };

/** The fold of one event into the state (the bench configuration's two reducers). */
export function foldEvent(state: TeamState, event: EngineEvent): TeamState {
  const { checkpoint } = event.data as { checkpoint: string };
  return { scans: state.scans + 1, last: checkpoint };
}

/** The idempotency key the engine gives the same action (`src/rules/action-planner.ts`). */
export function sinkIdempotencyKey(event: EngineEvent): string {
  return `team/${keyOf(event)}:${event.id}:${RULE_ID}:0`;
}

/** The connector's settings in the bench configuration: 10 s timeout, 3 attempts from 1 s. */
const SINK_TIMEOUT_MS = 10_000;
const SINK_RUN_OPTIONS = { maxRetryAttempts: 3, initialRetryInterval: 1_000 };

async function callSink(url: string, event: EngineEvent): Promise<number> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': sinkIdempotencyKey(event) },
    body: JSON.stringify({ eventId: event.id }),
    signal: AbortSignal.timeout(SINK_TIMEOUT_MS),
  });
  await response.body?.cancel();
  if (!response.ok) throw new Error(`the sink answered ${response.status} for ${event.id}`);
  return response.status;
}

/** The virtual object: `handle` (exclusive per key) and `state` (shared, reads the committed state). */
export function benchObject(options: BenchObjectOptions) {
  return restate.object({
    name: options.name,
    handlers: {
      handle: async (ctx: restate.ObjectContext, input: HandleInput): Promise<void> => {
        let state = (await ctx.get<TeamState>('state')) ?? INITIAL;
        for (const event of input.events) state = foldEvent(state, event);
        ctx.set('state', state);
        options.onHandled(input.events.map((event) => event.id));
        const { sinkUrl } = options;
        if (sinkUrl === undefined || state.scans <= 0) return;
        for (const event of input.events) {
          await ctx.run(`sink ${event.id}`, () => callSink(sinkUrl, event), SINK_RUN_OPTIONS);
        }
      },
      state: restate.handlers.object.shared(async (ctx: restate.ObjectSharedContext): Promise<TeamState | null> =>
        ctx.get<TeamState>('state'),
      ),
    },
  });
}
