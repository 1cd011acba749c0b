/** `hunt events export`: the event log read back from Temporal histories, as CloudEvents JSONL. */
import { createWriteStream } from 'node:fs';
import { Readable, type Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Client } from '@temporalio/client';
import type { Command } from 'commander';
import { describeFilterProblems, eventFiltersSchema, type EventFilters } from '../event-log/event-filters.js';
import { exportEvents, type ExportProgress } from '../event-log/event-export.js';
import { CliError } from './cli-error.js';
import { withTemporalClient } from './temporal-client.js';

/** Options the filter flags give, before parsing. */
export interface FilterFlags {
  type?: string;
  entity?: string;
  eventType?: string;
  source?: string;
  since?: string;
  until?: string;
}

/** Parses the filter flags of `events export` and `diff --from-engine`; a bad one is a CliError. */
export function filtersFromFlags(flags: FilterFlags): EventFilters {
  const parsed = eventFiltersSchema.safeParse({
    ...(flags.type !== undefined && { entityType: flags.type }),
    ...(flags.entity !== undefined && { entity: flags.entity }),
    ...(flags.eventType !== undefined && { eventType: flags.eventType }),
    ...(flags.source !== undefined && { source: flags.source }),
    ...(flags.since !== undefined && { since: flags.since }),
    ...(flags.until !== undefined && { until: flags.until }),
  });
  if (!parsed.success) throw new CliError(`bad filter: ${describeFilterProblems(parsed.error)}`);
  return parsed.data;
}

/** Adds the filter flags to a command. */
export function withFilterFlags(command: Command): Command {
  return command
    .option('--type <entityType>', 'only entities of this type')
    .option('--entity <type/key>', 'only this entity')
    .option('--event-type <type>', 'only events of this type')
    .option('--source <name>', 'only events from this source')
    .option('--since <time>', 'only events that arrived at or after this time (ISO 8601, or a duration ago: 24h)')
    .option('--until <time>', 'only events that arrived at or before this time');
}

/** Writes the export as JSONL to `out`; returns the final progress. */
export async function writeExport(
  client: Client,
  filters: EventFilters,
  out: Writable,
  onProgress?: (progress: ExportProgress) => void,
): Promise<ExportProgress> {
  let last: ExportProgress = { entities: 0, events: 0, duplicates: 0, entity: '' };
  const lines = async function* () {
    for await (const event of exportEvents(client, filters, (p) => {
      last = { ...p };
      onProgress?.(last);
    })) {
      yield `${JSON.stringify(event)}\n`;
    }
  };
  // pipeline waits on the writer's back-pressure: a slow disk or pipe slows the reading, memory stays flat.
  await pipeline(Readable.from(lines()), out, { end: out !== process.stdout });
  return last;
}

function progressPrinter(quiet: boolean): { print: (p: ExportProgress) => void; done: (p: ExportProgress) => void } {
  let lastPrint = 0;
  const line = (p: ExportProgress) =>
    `${p.events} events from ${p.entities} entities${p.duplicates > 0 ? ` (${p.duplicates} re-deliveries dropped)` : ''}`;
  return {
    print: (p) => {
      if (quiet || Date.now() - lastPrint < 500) return;
      lastPrint = Date.now();
      process.stderr.write(`exporting… ${line(p)}, at ${p.entity}\n`);
    },
    done: (p) => {
      if (!quiet) process.stderr.write(`exported ${line(p)}\n`);
    },
  };
}

/** Registers `hunt events export`. */
export function registerEventsCommands(program: Command): void {
  const events = program.command('events').description('the event log, read back from Temporal histories');
  withFilterFlags(
    events
      .command('export')
      .description(
        'every event the engine acknowledged, as CloudEvents JSONL (what hunt simulate reads), in order per entity',
      ),
  )
    .option('--out <file>', 'write to this file instead of stdout')
    .option('--quiet', 'no progress on stderr')
    .action(async (flags: FilterFlags & { out?: string; quiet?: boolean }) => {
      const filters = filtersFromFlags(flags);
      const progress = progressPrinter(flags.quiet === true);
      const out = flags.out !== undefined ? createWriteStream(flags.out) : process.stdout;
      const final = await withTemporalClient((client) => writeExport(client, filters, out, progress.print));
      progress.done(final);
    });
}
