/**
 * Filters of `hunt events export` and `GET /events/export` (one schema for both): which entities to read
 * (entity type, one entity) and which of their events to keep (event type, source, time range). Times are
 * ISO 8601 or a duration ago (`24h`); both bounds are on the engine time the event arrived.
 */
import { z } from 'zod';
import { parseDuration } from '../config/durations.js';
import { parseEntityWorkflowId } from '../rules/routing.js';

/** A point in time: ISO 8601, ms since epoch, or a duration before `now` (`90m`, `2d`). */
export function parseTimeBound(text: string, now: number = Date.now()): number | undefined {
  const ago = parseDuration(text);
  if (ago !== undefined) return now - ago;
  if (/^\d+$/.test(text)) return Number(text);
  const ms = Date.parse(text);
  return Number.isFinite(ms) ? ms : undefined;
}

const timeBound = z.string().transform((text, ctx) => {
  const ms = parseTimeBound(text);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${text}" is not a time: write ISO 8601 (2026-05-01T10:00Z) or 24h ago` });
    return z.NEVER;
  }
  return ms;
});

const name = z.string().min(1).max(200);

export const eventFiltersSchema = z
  .object({
    entityType: name.optional(),
    entity: name
      .refine((text) => parseEntityWorkflowId(text) !== undefined, 'write the entity as type/key, e.g. team/red-foxes')
      .optional(),
    eventType: name.optional(),
    source: name.optional(),
    since: timeBound.optional(),
    until: timeBound.optional(),
  })
  .strict();

/** Parsed filters: times in ms since epoch. */
export type EventFilters = z.infer<typeof eventFiltersSchema>;

/** Whether one recorded event passes the event-level filters. */
export function keepsEvent(
  filters: EventFilters,
  recorded: { event: { type: string; source: string }; at: number },
): boolean {
  if (filters.eventType !== undefined && recorded.event.type !== filters.eventType) return false;
  if (filters.source !== undefined && recorded.event.source !== filters.source) return false;
  if (filters.since !== undefined && recorded.at < filters.since) return false;
  if (filters.until !== undefined && recorded.at > filters.until) return false;
  return true;
}

/** Problems of a filter object in plain words (`since: "x" is not a time …`). */
export function describeFilterProblems(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.length > 0 ? `${i.path.join('.')}: ` : ''}${i.message}`).join('; ');
}
