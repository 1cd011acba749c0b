/**
 * The orders emitted events may arrive in, explored. In the engine an `emit` is an activity that signals the
 * target entity: the emitted event arrives some time after its firing, so later input events (to the target,
 * or to the emitting entity itself) and other firings' emits may be handled first. Only two things are fixed:
 * input events keep their order, and the emits of one firing arrive in the order they are written (the
 * firing's actions run one after another). The simulator's default handles every emit at once, before
 * anything else — one of these orders.
 *
 * exploreInterleavings runs the simulation once per order (depth-first over the scheduler's choices, up to
 * `maxOrders`) and groups the runs by outcome: each entity's final state and whether it ended, and the
 * actions planned. Pure and deterministic, like the simulator.
 */
import type { CompiledConfig, JsonObject } from '../config/compiled.js';
import { simulate } from './simulate.js';
import type { Scheduler, SimulationEvent, SimulationOptions, SimulationResult, SimulationStep } from './simulate.js';
import type { PlannedAction } from './types.js';

export interface InterleavingOptions extends Omit<SimulationOptions, 'schedule'> {
  /** Most orders to run (default 1,000): the exploration stops there and says it is incomplete. */
  maxOrders?: number;
}

/** One possible end: what each entity ends as, and the actions planned on the way. */
export interface InterleavingOutcome {
  /** How many of the explored orders end like this. */
  orders: number;
  /** True for the outcome of the simulator's default order (every emit handled at once). */
  default: boolean;
  entities: Record<string, { state: JsonObject; ended?: boolean }>;
  /** Actions planned (onFailure ones left out), by idempotency key. */
  actions: Array<Pick<PlannedAction, 'idempotencyKey' | 'ruleId' | 'action'>>;
  /** One order that ends like this: what was handled, in turn. */
  example: string[];
}

export interface InterleavingResult {
  config: { name: string; version: string };
  /** Orders run. */
  orders: number;
  /** False when `maxOrders` stopped the exploration before every order was run. */
  complete: boolean;
  /** Distinct outcomes, the default order's first. */
  outcomes: InterleavingOutcome[];
}

function describeStep(step: SimulationStep): string {
  const where = step.entity ?? '(unrouted)';
  if (step.kind === 'timer') return `timer of ${step.eventType} ${step.eventId} at ${where}`;
  return `${step.kind === 'emitted' ? 'emitted ' : ''}${step.eventType} ${step.eventId} at ${where}`;
}

function outcomeOf(result: SimulationResult): Omit<InterleavingOutcome, 'orders' | 'default'> {
  const entities: InterleavingOutcome['entities'] = {};
  for (const [id, entity] of Object.entries(result.entities).sort(([a], [b]) => (a < b ? -1 : 1)))
    entities[id] = { state: entity.state, ...(entity.ended && { ended: true }) };
  const actions = result.steps
    .flatMap((step) => step.actions)
    .filter((planned) => !planned.onFailure)
    .map(({ idempotencyKey, ruleId, action }) => ({ idempotencyKey, ruleId, action }))
    .sort((a, b) => (a.idempotencyKey < b.idempotencyKey ? -1 : a.idempotencyKey > b.idempotencyKey ? 1 : 0));
  return { entities, actions, example: result.steps.map(describeStep) };
}

/** Runs `config` over `events` in every order emitted events may arrive in (up to maxOrders); see the file comment. */
export function exploreInterleavings(
  config: CompiledConfig,
  events: readonly SimulationEvent[],
  opts: InterleavingOptions = {},
): InterleavingResult {
  const maxOrders = opts.maxOrders ?? 1_000;
  const { maxOrders: _max, ...simulation } = opts;
  const outcomes = new Map<string, InterleavingOutcome>();
  // Each entry is a prefix of choices; a run follows it, then takes choice 0 and queues the alternatives.
  const pending: number[][] = [[]];
  let orders = 0;
  while (pending.length > 0 && orders < maxOrders) {
    const prefix = pending.pop()!;
    const made: number[] = [];
    const schedule: Scheduler = ({ emitted, advance }) => {
      const options = emitted.length + (advance ? 1 : 0);
      const depth = made.length;
      if (depth >= prefix.length) for (let k = options - 1; k >= 1; k--) pending.push([...made, k]);
      const pick = depth < prefix.length ? prefix[depth]! : 0;
      made.push(pick);
      return pick;
    };
    const result = simulate(config, events, { ...simulation, schedule });
    const outcome = outcomeOf(result);
    const key = JSON.stringify([outcome.entities, outcome.actions]);
    const known = outcomes.get(key);
    if (known) known.orders++;
    // Choice 0 is always "the oldest waiting emit first": the first run is the default order.
    else outcomes.set(key, { orders: 1, default: orders === 0, ...outcome });
    orders++;
  }
  return {
    config: { name: config.name, version: config.version },
    orders,
    complete: pending.length === 0,
    outcomes: [...outcomes.values()],
  };
}
