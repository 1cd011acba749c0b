/**
 * The events a backtest (`hunt diff --from-engine`) runs the two configurations over: the export, less the
 * events the engine's own `emit` actions delivered (the simulator emits them again from the rules), once each
 * even when an event reached several entities, in
 * the order the engine received them. The simulator's virtual time never runs backwards, so the export's
 * per-entity order is merged into one order by arrival time (stable: each entity's order is kept).
 */
import type { Client } from '@temporalio/client';
import type { CompiledConfig } from '../config/compiled.js';
import type { SimulationEvent } from '../rules/simulate.js';
import { exportEvents, type ExportProgress } from './event-export.js';
import type { EventFilters } from './event-filters.js';

/**
 * `<entityType>/<key>:<eventId>:<ruleId>:<index>[@deadline]`: an emitted event's id is its action's key
 * (prefixed `replay:` when `hunt replay` emitted it).
 */
const ACTION_KEY = /^(?:replay:)?[^/:]+\/.+:([^:]+):f?\d+(?:@\d+)?$/;

/** Whether an event id is the idempotency key of an `emit` action of one of `configs`. */
export function emittedBy(configs: CompiledConfig[]): (eventId: string) => boolean {
  const emitting = new Set(
    configs.flatMap((c) =>
      c.rules.filter((r) => [...r.then, ...r.onFailure].some((a) => a.kind === 'emit')).map((r) => r.id),
    ),
  );
  return (eventId) => {
    const ruleId = ACTION_KEY.exec(eventId)?.[1];
    return ruleId !== undefined && emitting.has(ruleId);
  };
}

/** Reads the backtest's events from the engine; held in memory, as the simulator needs them all. */
export async function backtestEvents(
  client: Client,
  filters: EventFilters,
  configs: CompiledConfig[],
  onProgress?: (progress: ExportProgress) => void,
): Promise<{ events: SimulationEvent[]; emitted: number }> {
  const isEmitted = emittedBy(configs);
  const events: SimulationEvent[] = [];
  let emitted = 0;
  // An event that reached several entities (`alsoReaches`) is in each one's log; the simulator routes it to all of
  // them again, so one copy goes in ((source, id) names one event: the export already drops re-deliveries).
  const seen = new Set<string>();
  for await (const event of exportEvents(client, filters, onProgress)) {
    const key = JSON.stringify([event.source, event.id]);
    if (seen.has(key)) continue;
    seen.add(key);
    if (isEmitted(event.id)) emitted++;
    else events.push(event);
  }
  const at = (e: SimulationEvent) => Date.parse(String(e.at));
  // Array.prototype.sort is stable: events of one entity keep their order.
  events.sort((x, y) => at(x) - at(y));
  return { events, emitted };
}
