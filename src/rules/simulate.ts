/**
 * Offline simulation: runs the configuration over a list of events with virtual time, using the
 * same EntityMachine the entity workflow runs. Events are routed to entities with routeEvent (an event
 * that reaches several entities is handled by each, in route order); before
 * each event, timers due up to its time fire (across all entities, in deadline order); `emit`
 * actions feed back as new events at the same virtual time; at the end, remaining timers fire
 * (up to an optional horizon). Every step records the state change, the actions that would run and,
 * for every rule that did not fire, why not.
 */
import type { CompiledConfig, JsonObject } from '../config/compiled.js';
import { emittedEvent } from './emitted-event.js';
import { EntityMachine } from './entity-machine.js';
import type { MachineOptions, MachineTimer } from './entity-machine.js';
import { entityWorkflowId, routeEvent } from './routing.js';
import { diffState } from './state-diff.js';
import type { StateChange } from './state-diff.js';
import type { Decision, DeliveryStatus, EngineEvent, Firing, PlannedAction, RuleVerdict } from './types.js';
import { failedEvent, recordsResult, respondedEvent, withResult, type CallResults } from './call-result.js';
import { CallStubs, type StubbedResponses } from './call-stubs.js';
import { watchOf, workflowOutcomeEvent, type WorkflowOutcome } from './workflow-result.js';
import { showTime } from './wording.js';
import { EngineError } from '../contract/engine-error.js';

/** An input event, optionally with the virtual time it arrives (`at`: ms or ISO 8601; else its `time`). */
export type SimulationEvent = EngineEvent & { at?: string | number };

export interface SimulationOptions {
  /** Virtual time (ms) for events with neither `at` nor `time` before any timed event; default 0. */
  start?: number;
  /** At the end, fire timers due up to this time (ms or ISO 8601); default: every remaining timer. */
  horizon?: number | string;
  machine?: MachineOptions;
  /**
   * Checks an emitted event as the engine's emit activity does (schema and routing; `hunt simulate` passes the
   * ingest validator's). Problems make the step `rejected` with them as the reason, and the event goes nowhere.
   */
  checkEmitted?: (event: EngineEvent) => string[];
  /** Most steps (events, timer firings, emitted events) before giving up, against emit loops. Default 100,000. */
  maxSteps?: number;
  /**
   * What connectors answer calls with `result` (default: `200`, no body), and how started workflows end
   * (`workflow:<type>`: `body` is the result, `fail` a failure, `pending: true` still running at the end;
   * default: completes with null); see call-stubs.ts.
   */
  responses?: StubbedResponses;
  /**
   * Chooses what happens next whenever an emitted event is waiting (src/rules/interleavings.ts explores every
   * choice). Without it, every emitted event is handled at once, before anything else: the default order.
   */
  schedule?: Scheduler;
}

/** An emitted event on its way to its entities. Emits of one firing arrive in their order; others in any. */
export interface PendingEmit {
  event: EngineEvent;
  /** The idempotency key of the emit action. */
  by: string;
  /** The firing that emitted it (the step and rule): its emits keep their order. */
  firing: string;
}

/**
 * Picks the next thing to happen: an index into `emitted` (the first waiting emit of each firing, oldest
 * first), or `emitted.length` for `advance` — the next timer due before the next input event, else that
 * input event — when `advance` is true.
 */
export type Scheduler = (choice: { emitted: PendingEmit[]; advance: boolean }) => number;

export interface SimulationStep {
  /**
   * `event`: an input event; `emitted`: an event an `emit` action produced; `timer`: a deadline fired; `result`: the
   * result event of a `call` with `result` (from the stubbed answer).
   */
  kind: 'event' | 'emitted' | 'timer' | 'result';
  at: number;
  time: string;
  /** Workflow id of the entity (`team/red-foxes`); absent when the event could not be routed. */
  entity?: string;
  eventId: string;
  eventType: string;
  status: DeliveryStatus | 'unrouted';
  reason?: string;
  /** State paths this step changed. */
  changes: StateChange[];
  /** The entity's state after the step. */
  state?: JsonObject;
  /** Actions that would run (onFailure ones flagged), in firing order. */
  actions: PlannedAction[];
  fired: string[];
  /** Every rule that saw the event but did not fire, with the clause and reason. */
  notFired: RuleVerdict[];
  /** For `emitted` steps: the idempotency key of the emit action that produced it (for `result` steps: the call). */
  emittedBy?: string;
  ended?: boolean;
}

export interface SimulatedEntity {
  state: JsonObject;
  eventCount: number;
  ended?: { at: number; reason?: string };
  /** Timers still pending at the end (when a horizon stopped the run). */
  timers: MachineTimer[];
}

export interface SimulationResult {
  config: { name: string; version: string };
  steps: SimulationStep[];
  entities: Record<string, SimulatedEntity>;
}

/** The simulation input is unusable (bad time) or the run does not terminate (emit loop). */
export class SimulationError extends EngineError {
  override readonly name = 'SimulationError';
  readonly code = 'SIMULATION_FAILED';
}

function parseTime(value: string | number, what: string): number {
  const ms = typeof value === 'number' ? value : Date.parse(value);
  if (!Number.isFinite(ms)) {
    throw new SimulationError(`${what}: time ${JSON.stringify(value)} is not a number of ms or an ISO 8601 date`);
  }
  return ms;
}

/** Runs `config` over `events` with virtual time; pure and deterministic. */
export function simulate(
  config: CompiledConfig,
  events: readonly SimulationEvent[],
  opts: SimulationOptions = {},
): SimulationResult {
  const machines = new Map<string, EntityMachine>();
  const steps: SimulationStep[] = [];
  const maxSteps = opts.maxSteps ?? 100_000;
  let now = opts.start ?? 0;
  const emitted: PendingEmit[] = [];
  const stubs = new CallStubs(opts.responses);

  const record = (step: SimulationStep): void => {
    steps.push(step);
    if (steps.length > maxSteps) {
      throw new SimulationError(
        `more than ${maxSteps} steps at ${showTime(now)} (last: ${step.eventType} on ${step.entity ?? 'no entity'}): ` +
          'an emit or timer loop? Check rules that emit events which fire them again',
      );
    }
  };

  /**
   * Performs fired rules' actions as the workflow would, offline: emits are queued; a call with `result` takes its
   * stubbed answer, whose result event the entity handles at once (a `result` step); the actions after it are
   * readied then, over that result, and listed on that step. A stubbed failure stops its rule there.
   */
  const perform = (workflowId: string, machine: EntityMachine, firings: Firing[], step: SimulationStep): void => {
    const queue = [...firings];
    for (let firing = queue.shift(); firing; firing = queue.shift()) {
      // Emits of one firing keep their order (the interleaving explorer may reorder only across firings).
      const firingId = `${steps.length}/${firing.ruleId}`;
      let results: CallResults | undefined;
      let listedOn = step;
      let listedBefore = listedOn.state ?? {};
      for (const original of firing.actions) {
        if (original.onFailure) continue;
        let planned = original;
        if (planned.deferred) {
          if (!firing.trigger) break;
          try {
            planned = machine.continueAction(planned, firing.trigger, results, now);
          } catch (err) {
            listedOn.reason = `rule ${planned.ruleId}: ${err instanceof Error ? err.message : String(err)}`;
            break;
          }
          listedOn.actions.push(planned);
          listedOn.changes = diffState(listedBefore, machine.state);
          listedOn.state = machine.state;
        }
        const event = emittedEvent(config, planned, now);
        if (event) emitted.push({ event, by: planned.idempotencyKey, firing: firingId });
        const action = planned.action;
        if (action.kind === 'start') {
          // A watched workflow ends at once offline, as its stub (`workflow:<type>`) says.
          const watch = watchOf(planned, undefined, now);
          if (!watch) continue;
          const stub = stubs.next(`workflow:${action.workflow}`);
          // Still running when the simulation ends (as a workflow no worker has finished yet): no outcome.
          if (stub.ok === 'pending') continue;
          const outcome: WorkflowOutcome = stub.ok
            ? { ok: true, result: stub.response.value ?? null }
            : { ok: false, error: { type: stub.failure.type, message: stub.failure.message } };
          const outcomeEvent = workflowOutcomeEvent(watch, outcome, now);
          if (!outcomeEvent) continue;
          const before = machine.state;
          const decision = machine.handleEvent(outcomeEvent, now);
          record(
            stepFrom(
              {
                kind: 'result',
                eventId: outcomeEvent.id,
                eventType: outcomeEvent.type,
                emittedBy: planned.idempotencyKey,
              },
              workflowId,
              machine,
              before,
              decision,
            ),
          );
          queue.push(...decision.firings);
          continue;
        }
        if (action.kind !== 'call' || !recordsResult(action)) continue;
        const stubbed = stubs.next(action.connector);
        // `pending` describes a started workflow; a call always answers, so it reads as the default answer.
        const outcome = stubbed.ok === 'pending' ? new CallStubs().next(action.connector) : stubbed;
        if (outcome.ok === 'pending') continue;
        const resultEvent = outcome.ok
          ? respondedEvent(planned, outcome.response, now)
          : failedEvent(planned, outcome.failure, now);
        if (resultEvent) {
          const before = machine.state;
          const decision = machine.handleEvent(resultEvent, now);
          listedOn = stepFrom(
            { kind: 'result', eventId: resultEvent.id, eventType: resultEvent.type, emittedBy: planned.idempotencyKey },
            workflowId,
            machine,
            before,
            decision,
          );
          listedBefore = before;
          record(listedOn);
          queue.push(...decision.firings);
          if (outcome.ok) results = withResult(results, action.connector, resultEvent.data as JsonObject);
        }
        if (!outcome.ok) break;
      }
    }
  };

  const stepFrom = (
    base: Pick<SimulationStep, 'kind' | 'eventId' | 'eventType'> & { emittedBy?: string },
    workflowId: string,
    machine: EntityMachine,
    before: JsonObject,
    decision: Decision,
  ): SimulationStep => {
    // Deferred actions (after a call with `result`) are listed on the result step, once readied.
    const actions = decision.firings.flatMap((f) => f.actions).filter((a) => a.deferred !== true);
    const verdicts = decision.trace?.verdicts ?? [];
    const reason = decision.delivery?.reason ?? decision.trace?.reason;
    return {
      ...base,
      at: now,
      time: showTime(now),
      entity: workflowId,
      status: decision.trace?.status ?? decision.delivery?.status ?? 'accepted',
      ...(reason !== undefined && { reason }),
      changes: diffState(before, machine.state),
      state: machine.state,
      actions,
      fired: decision.firings.map((f) => f.ruleId),
      notFired: verdicts.filter((v) => !v.fired),
      ...(decision.ended && { ended: true }),
    };
  };

  const deliver = (event: EngineEvent, kind: 'event' | 'emitted', by?: string): void => {
    const base = { kind, eventId: event.id, eventType: event.type, ...(by !== undefined && { emittedBy: by }) };
    const problems = kind === 'emitted' ? (opts.checkEmitted?.(event) ?? []) : [];
    if (problems.length > 0) {
      record({
        ...base,
        at: now,
        time: showTime(now),
        status: 'rejected',
        reason: `emitted event would be rejected: ${problems.join('; ')}`,
        changes: [],
        actions: [],
        fired: [],
        notFired: [],
      });
      return;
    }
    const route = routeEvent(config, event);
    if (!route.ok) {
      record({
        ...base,
        at: now,
        time: showTime(now),
        status: 'unrouted',
        reason: route.reason,
        changes: [],
        actions: [],
        fired: [],
        notFired: [],
      });
      return;
    }
    // An event that reaches several entities is one step per entity, in route order, at the same time.
    for (const entity of route.entities) {
      const workflowId = entityWorkflowId(entity);
      let machine = machines.get(workflowId);
      if (!machine) {
        machine = new EntityMachine(config, entity, undefined, opts.machine);
        machines.set(workflowId, machine);
      }
      const before = machine.state;
      const decision = machine.handleEvent(event, now);
      const step = stepFrom(base, workflowId, machine, before, decision);
      record(step);
      perform(workflowId, machine, decision.firings, step);
    }
  };

  const drainEmitted = (): void => {
    for (let next = emitted.shift(); next; next = emitted.shift()) deliver(next.event, 'emitted', next.by);
  };

  const nextDue = (limit: number): { workflowId: string; machine: EntityMachine; at: number } | undefined => {
    let due: { workflowId: string; machine: EntityMachine; at: number } | undefined;
    // Machines iterate in creation order, so equal deadlines fire in a stable order.
    for (const [workflowId, machine] of machines) {
      const at = machine.nextDeadline();
      if (at !== undefined && at <= limit && (!due || at < due.at)) due = { workflowId, machine, at };
    }
    return due;
  };

  /** Fires the earliest deadline due by `limit` (every decision of that entity at that time); false if none. */
  const fireNextTimer = (limit: number): boolean => {
    const due = nextDue(limit);
    if (!due) return false;
    now = Math.max(now, due.at);
    for (;;) {
      const before = due.machine.state;
      const [decision] = due.machine.fireDue(due.at, 1);
      if (!decision) break;
      const trace = decision.trace;
      const step = stepFrom(
        { kind: 'timer', eventId: trace?.eventId ?? '', eventType: trace?.eventType ?? '' },
        due.workflowId,
        due.machine,
        before,
        decision,
      );
      record(step);
      perform(due.workflowId, due.machine, decision.firings, step);
    }
    return true;
  };

  const fireTimersUpTo = (limit: number): void => {
    while (fireNextTimer(limit)) drainEmitted();
  };

  const arrival = (event: SimulationEvent, i: number): number => {
    const declared = event.at ?? event.time;
    return declared === undefined ? now : parseTime(declared, `event ${i + 1} (${event.id})`);
  };
  const deliverInput = (event: SimulationEvent, at: number): void => {
    // Virtual time never runs backwards: an event stamped earlier arrives "now".
    now = Math.max(now, at);
    const { at: _at, ...envelope } = event;
    deliver(envelope, 'event');
  };
  const horizon = opts.horizon === undefined ? Number.POSITIVE_INFINITY : parseTime(opts.horizon, 'horizon');

  if (opts.schedule === undefined) {
    events.forEach((event, i) => {
      const at = arrival(event, i);
      fireTimersUpTo(Math.max(now, at));
      deliverInput(event, at);
      drainEmitted();
    });
    fireTimersUpTo(horizon);
  } else {
    // One thing at a time: a waiting emitted event, or the next timer or input event, as the scheduler says.
    let next = 0;
    for (;;) {
      const input = events[next];
      const limit = input === undefined ? horizon : Math.max(now, arrival(input, next));
      const canAdvance = input !== undefined || nextDue(limit) !== undefined;
      const heads = emitted.filter((e, i) => emitted.findIndex((other) => other.firing === e.firing) === i);
      if (heads.length === 0 && !canAdvance) break;
      const pick = heads.length === 0 ? 0 : opts.schedule({ emitted: heads, advance: canAdvance });
      const chosen = heads[pick];
      if (chosen) {
        emitted.splice(emitted.indexOf(chosen), 1);
        deliver(chosen.event, 'emitted', chosen.by);
      } else if (!canAdvance) {
        throw new SimulationError(`the scheduler chose ${pick} of ${heads.length} waiting emitted events`);
      } else if (!fireNextTimer(limit)) {
        deliverInput(input!, limit);
        next++;
      }
    }
  }

  const entities: Record<string, SimulatedEntity> = {};
  for (const [workflowId, machine] of machines) {
    const snapshot = machine.snapshot();
    entities[workflowId] = {
      state: machine.state,
      eventCount: snapshot.eventCount,
      ...(snapshot.ended && { ended: snapshot.ended }),
      timers: machine.timers(),
    };
  }
  return { config: { name: config.name, version: config.version }, steps, entities };
}
