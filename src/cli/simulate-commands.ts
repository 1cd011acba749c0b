/** `hunt simulate` and `hunt diff`: run a configuration offline over recorded events, with virtual time. */
import type { Command } from 'commander';
import { readFile } from 'node:fs/promises';
import { ConfigError, loadCompiledConfig } from '../config/index.js';
import type { CompiledConfig } from '../config/index.js';
import { createEventValidator } from '../config/event-validator.js';
import { simulate } from '../rules/simulate.js';
import { exploreInterleavings, type InterleavingResult } from '../rules/interleavings.js';
import { formatInterleavings } from '../rules/interleavings-report.js';
import type { EngineEvent } from '../rules/types.js';
import type { SimulationEvent, SimulationOptions, SimulationResult } from '../rules/simulate.js';
import { diffSimulations } from '../rules/simulation-diff.js';
import type { StubbedResponses } from '../rules/call-stubs.js';
import { readResponsesFile } from './responses-file.js';
import type { EntityDiff } from '../rules/simulation-diff.js';
import { formatSimulation, formatSimulationDiff } from '../rules/simulation-report.js';
import type { Client } from '@temporalio/client';
import { backtestEvents } from '../event-log/backtest-events.js';
import type { ExportProgress } from '../event-log/event-export.js';
import type { EventFilters } from '../event-log/event-filters.js';
import { formatRuleChanges, summarizeRuleChanges, type RuleChange } from '../rules/rule-change-summary.js';
import { CliError } from './cli-error.js';
import { parseStart, readEventsFile } from './events-file.js';
import { filtersFromFlags, withFilterFlags, type FilterFlags } from './events-commands.js';
import { withTemporalClient } from './temporal-client.js';
import { summarize } from '../ingest/events-route.js';
import {
  RecordedRequestError,
  mapRecordedRequests,
  parseRecordedRequests,
} from '../ingest/sources/recorded-request.js';
import type { RecordedRequest } from '../ingest/sources/recorded-request.js';

export { readEventsFile } from './events-file.js';

/** A recorded-requests file (JSONL of native webhook requests), read and checked line by line. */
export async function readRequestsFile(path: string): Promise<Array<{ line: number; record: RecordedRequest }>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(err);
    throw new CliError(`cannot read requests file ${path}: ${reason}`);
  }
  try {
    return parseRecordedRequests(text, path);
  } catch (err) {
    if (err instanceof RecordedRequestError) throw new CliError(err.message);
    throw err;
  }
}

/**
 * The events a configuration's webhook mappings make of recorded requests, validated as the ingest
 * validates them; a request the ingest would refuse is an error naming its line. `notes` lists the
 * requests that make no event (handshakes, ignored types).
 */
export function eventsFromRequests(
  config: CompiledConfig,
  path: string,
  records: Array<{ line: number; record: RecordedRequest }>,
): { events: SimulationEvent[]; notes: string[] } {
  const validator = createEventValidator(config);
  const events: SimulationEvent[] = [];
  const notes: string[] = [];
  for (const outcome of mapRecordedRequests(config, records)) {
    const where = `${path}:${outcome.line}`;
    if (outcome.kind === 'failed')
      throw new CliError(`${where}: the ingest would refuse it: ${summarize(outcome.problems)}`);
    if (outcome.kind !== 'events') {
      notes.push(`${where}: ${outcome.kind} (${outcome.reason})`);
      continue;
    }
    for (const candidate of outcome.events) {
      const { at, ...envelope } = candidate;
      const result = validator.validate(envelope, typeof envelope.source === 'string' ? envelope.source : '');
      if (!result.ok) {
        throw new CliError(
          `${where}: the mapped event ${typeof envelope.id === 'string' ? envelope.id : JSON.stringify(envelope.id)} is invalid: ${summarize(result.problems)}`,
        );
      }
      events.push(at === undefined ? result.event : { ...result.event, at: at as string | number });
    }
  }
  return { events, notes };
}

/** Where the input events come from: an events file, a recorded-requests file, or both (requests after events). */
export interface InputFiles {
  events?: string;
  requests?: string;
}

async function inputEvents(
  config: CompiledConfig,
  files: InputFiles,
  start?: number,
): Promise<{ events: SimulationEvent[]; notes: string[] }> {
  if (files.events === undefined && files.requests === undefined)
    throw new CliError('give the input events with --events <file> or --requests <file> (or both)');
  const events =
    files.events === undefined ? [] : await readEventsFile(files.events, start === undefined ? {} : { start });
  if (files.requests === undefined) return { events, notes: [] };
  const mapped = eventsFromRequests(config, files.requests, await readRequestsFile(files.requests));
  return { events: [...events, ...mapped.events], notes: mapped.notes };
}

async function loadConfig(path: string): Promise<CompiledConfig> {
  try {
    return await loadCompiledConfig(path);
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(`${path}: ${err.message}`);
    throw err;
  }
}

function options(
  config: CompiledConfig,
  horizon: string | undefined,
  responses: StubbedResponses | undefined,
  start?: number,
): SimulationOptions {
  // Emitted events are checked as the engine's emit activity checks them.
  const validator = createEventValidator(config);
  const checkEmitted = (event: EngineEvent) =>
    validator.validateEmitted(event).map((p) => `${p.pointer || '(event)'} ${p.detail}`);
  return {
    checkEmitted,
    ...(responses !== undefined && { responses }),
    ...(start !== undefined && { start }),
    ...(horizon !== undefined && { horizon: /^\d+$/.test(horizon) ? Number(horizon) : horizon }),
  };
}

/** Time and stub options of simulate and diff: `--start` (the base of relative `at` times), `--horizon`, `--responses`. */
export interface TimeFlags {
  horizon?: string;
  start?: string;
  responses?: string;
}

function run(config: CompiledConfig, events: SimulationEvent[], opts: SimulationOptions): SimulationResult {
  try {
    return simulate(config, events, opts);
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'SIMULATION_FAILED') throw new CliError(err.message);
    throw err;
  }
}

/** Simulates a configuration over an events file and/or recorded requests; returns the result and its text. */
export async function simulateFiles(
  configPath: string,
  input: string | InputFiles,
  opts: TimeFlags = {},
): Promise<{ result: SimulationResult; text: string; notes: string[] }> {
  const start = opts.start === undefined ? undefined : parseStart(opts.start);
  const [config, responses] = await Promise.all([
    loadConfig(configPath),
    opts.responses === undefined ? undefined : readResponsesFile(opts.responses),
  ]);
  const { events, notes } = await inputEvents(config, typeof input === 'string' ? { events: input } : input, start);
  const result = run(config, events, options(config, opts.horizon, responses, start));
  return { result, text: formatSimulation(result), notes };
}

/** Explores the orders emitted events may arrive in over an events file (`hunt simulate --interleave`). */
export async function interleaveFiles(
  configPath: string,
  eventsPath: string,
  opts: TimeFlags & { maxOrders?: number } = {},
): Promise<{ result: InterleavingResult; text: string }> {
  const start = opts.start === undefined ? undefined : parseStart(opts.start);
  const [config, events, responses] = await Promise.all([
    loadConfig(configPath),
    readEventsFile(eventsPath, start === undefined ? {} : { start }),
    opts.responses === undefined ? undefined : readResponsesFile(opts.responses),
  ]);
  let result: InterleavingResult;
  try {
    result = exploreInterleavings(config, events, {
      ...options(config, opts.horizon, responses, start),
      ...(opts.maxOrders !== undefined && { maxOrders: opts.maxOrders }),
    });
  } catch (err) {
    if (err instanceof Error && 'code' in err && err.code === 'SIMULATION_FAILED') throw new CliError(err.message);
    throw err;
  }
  return { result, text: formatInterleavings(result) };
}

/** What `hunt diff` finds: the entities that act differently and the per-rule summary, with their text. */
export interface DiffOutcome {
  diffs: EntityDiff[];
  rules: RuleChange[];
  text: string;
}

/** Simulates two configurations over the same events: the per-rule summary, then the per-entity detail. */
export function diffEvents(
  before: CompiledConfig,
  after: CompiledConfig,
  events: SimulationEvent[] | { before: SimulationEvent[]; after: SimulationEvent[] },
  opts: { horizon?: string; stubs?: StubbedResponses; start?: number } = {},
): DiffOutcome {
  // Recorded requests are mapped by each configuration's own mappings: a mapping change shows in the diff.
  const [oldEvents, newEvents] = Array.isArray(events) ? [events, events] : [events.before, events.after];
  const old = run(before, oldEvents, options(before, opts.horizon, opts.stubs, opts.start));
  const now = run(after, newEvents, options(after, opts.horizon, opts.stubs, opts.start));
  const diffs = diffSimulations(old, now);
  const rules = summarizeRuleChanges(old, now);
  return { diffs, rules, text: `${formatRuleChanges(rules)}\n\n${formatSimulationDiff(diffs)}` };
}

/** Simulates two configurations over the same events file and/or recorded requests (each mapped by its own config). */
export async function diffFiles(
  oldPath: string,
  newPath: string,
  input: string | InputFiles,
  opts: TimeFlags = {},
): Promise<DiffOutcome> {
  const files = typeof input === 'string' ? { events: input } : input;
  const start = opts.start === undefined ? undefined : parseStart(opts.start);
  const [before, after, stubs] = await Promise.all([
    loadConfig(oldPath),
    loadConfig(newPath),
    opts.responses === undefined ? undefined : readResponsesFile(opts.responses),
  ]);
  const [oldInput, newInput] = await Promise.all([inputEvents(before, files, start), inputEvents(after, files, start)]);
  return diffEvents(
    before,
    after,
    { before: oldInput.events, after: newInput.events },
    {
      ...(opts.horizon !== undefined && { horizon: opts.horizon }),
      ...(start !== undefined && { start }),
      ...(stubs !== undefined && { stubs }),
    },
  );
}

/**
 * Backtests a change on the engine's own event log: exports the events the filters select and diffs the two
 * configurations over them. Nothing is called: the simulator plans actions, it never runs them.
 */
export async function diffFromEngine(
  client: Client,
  oldPath: string,
  newPath: string,
  filters: EventFilters,
  opts: { horizon?: string; responses?: string; onProgress?: (progress: ExportProgress) => void } = {},
): Promise<DiffOutcome & { events: number; emitted: number }> {
  const [before, after, stubs] = await Promise.all([
    loadConfig(oldPath),
    loadConfig(newPath),
    opts.responses === undefined ? undefined : readResponsesFile(opts.responses),
  ]);
  const { events, emitted } = await backtestEvents(client, filters, [before, after], opts.onProgress);
  const outcome = diffEvents(before, after, events, {
    ...(opts.horizon !== undefined && { horizon: opts.horizon }),
    ...(stubs !== undefined && { stubs }),
  });
  return { ...outcome, events: events.length, emitted };
}

const RESPONSES_HELP =
  'YAML/JSON: connector → stubbed answer ({ status, headers, body } or { fail }), or a list taken one per call, for calls with `result`';

function positiveInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`"${value}" is not a positive whole number`);
  return n;
}

const REQUESTS_HELP =
  'JSONL file of recorded native webhook requests ({ source, at?, headers, body }, as HUNT_RECORD_REQUESTS writes), mapped by the sources’ webhook mappings';

function inputFiles(opts: { events?: string; requests?: string }): InputFiles {
  return {
    ...(opts.events !== undefined && { events: opts.events }),
    ...(opts.requests !== undefined && { requests: opts.requests }),
  };
}

/** Registers `hunt simulate` and `hunt diff`. */
export function registerSimulateCommands(program: Command): void {
  program
    .command('simulate <config>')
    .description(
      'run the configuration offline over events (JSONL), with virtual time: state, actions, and why rules did not fire',
    )
    .option(
      '--events <file>',
      'JSONL file, one CloudEvents event per line; optional "at": ms or ISO time, 5m from the start, +30s after the previous event',
    )
    .option('--requests <file>', REQUESTS_HELP)
    .option('--start <time>', 'virtual time relative "at" values count from (ms or ISO 8601); default: the first event')
    .option('--horizon <time>', 'fire remaining timers only up to this time (ms or ISO 8601); default: all')
    .option('--responses <file>', RESPONSES_HELP)
    .option(
      '--interleave',
      'run every order in which emitted events may arrive among the other events (as in the engine) and report the distinct outcomes',
    )
    .option('--max-orders <n>', 'with --interleave: most orders to run (default 1000)', positiveInteger)
    .option('--json', 'print the full result as JSON')
    .action(
      async (
        configPath: string,
        opts: TimeFlags & {
          events?: string;
          requests?: string;
          json?: boolean;
          interleave?: boolean;
          maxOrders?: number;
        },
      ) => {
        if (opts.maxOrders !== undefined && !opts.interleave) throw new CliError('--max-orders goes with --interleave');
        if (opts.interleave && opts.events === undefined) throw new CliError('--interleave reads --events <file>');
        const { result, text, notes } = opts.interleave
          ? { ...(await interleaveFiles(configPath, opts.events!, opts)), notes: [] as string[] }
          : await simulateFiles(configPath, inputFiles(opts), opts);
        for (const note of notes) process.stderr.write(`${note}\n`);
        process.stdout.write(`${opts.json ? JSON.stringify(result, null, 2) : text}\n`);
      },
    );

  withFilterFlags(
    program
      .command('diff <old> <new>')
      .description(
        'simulate two configurations over the same events: which rules fire differently, then the entities whose actions differ',
      )
      .option('--events <file>', 'JSONL file, one CloudEvents event per line (times as for simulate)')
      .option('--requests <file>', `${REQUESTS_HELP}; each configuration maps them with its own mappings`)
      .option('--start <time>', 'virtual time relative "at" values count from (ms or ISO 8601)')
      .option('--from-engine', "backtest on the engine's event log (the filters choose the events); nothing is called")
      .option('--horizon <time>', 'fire remaining timers only up to this time (ms or ISO 8601); default: all')
      .option('--responses <file>', RESPONSES_HELP)
      .option('--json', 'print the differences as JSON'),
  ).action(
    async (
      oldPath: string,
      newPath: string,
      opts: FilterFlags & TimeFlags & { events?: string; requests?: string; fromEngine?: boolean; json?: boolean },
    ) => {
      const fromFiles = opts.events !== undefined || opts.requests !== undefined;
      if (fromFiles === (opts.fromEngine === true))
        throw new CliError(
          'hunt diff reads events from --events <file> and/or --requests <file>, or from --from-engine: give one of them',
        );
      let outcome: DiffOutcome;
      if (opts.fromEngine) {
        const filters = filtersFromFlags(opts);
        const backtest = await withTemporalClient((client) =>
          diffFromEngine(client, oldPath, newPath, filters, {
            ...(opts.horizon !== undefined && { horizon: opts.horizon }),
            ...(opts.responses !== undefined && { responses: opts.responses }),
          }),
        );
        process.stderr.write(
          `backtest over ${backtest.events} events from the engine` +
            `${backtest.emitted > 0 ? ` (${backtest.emitted} emitted by rules left to the simulator)` : ''}\n`,
        );
        outcome = backtest;
      } else {
        outcome = await diffFiles(oldPath, newPath, inputFiles(opts), opts);
      }
      const { diffs, rules, text } = outcome;
      process.stdout.write(`${opts.json ? JSON.stringify({ rules, entities: diffs }, null, 2) : text}\n`);
      // Like `diff`: exit 1 when something differs, so CI can gate on it.
      if (diffs.length > 0) process.exitCode = 1;
    },
  );
}
