/** `hunt simulate` and `hunt diff`: run a configuration offline over recorded events, with virtual time. */
import type { Command } from 'commander';
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

export { readEventsFile } from './events-file.js';

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

/** Simulates a configuration over an events file; returns the result and its text. */
export async function simulateFiles(
  configPath: string,
  eventsPath: string,
  opts: TimeFlags = {},
): Promise<{ result: SimulationResult; text: string }> {
  const start = opts.start === undefined ? undefined : parseStart(opts.start);
  const [config, events, responses] = await Promise.all([
    loadConfig(configPath),
    readEventsFile(eventsPath, start === undefined ? {} : { start }),
    opts.responses === undefined ? undefined : readResponsesFile(opts.responses),
  ]);
  const result = run(config, events, options(config, opts.horizon, responses, start));
  return { result, text: formatSimulation(result) };
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
  events: SimulationEvent[],
  opts: { horizon?: string; stubs?: StubbedResponses; start?: number } = {},
): DiffOutcome {
  const old = run(before, events, options(before, opts.horizon, opts.stubs, opts.start));
  const now = run(after, events, options(after, opts.horizon, opts.stubs, opts.start));
  const diffs = diffSimulations(old, now);
  const rules = summarizeRuleChanges(old, now);
  return { diffs, rules, text: `${formatRuleChanges(rules)}\n\n${formatSimulationDiff(diffs)}` };
}

/** Simulates two configurations over the same events file. */
export async function diffFiles(
  oldPath: string,
  newPath: string,
  eventsPath: string,
  opts: TimeFlags = {},
): Promise<DiffOutcome> {
  const start = opts.start === undefined ? undefined : parseStart(opts.start);
  const [before, after, events, stubs] = await Promise.all([
    loadConfig(oldPath),
    loadConfig(newPath),
    readEventsFile(eventsPath, start === undefined ? {} : { start }),
    opts.responses === undefined ? undefined : readResponsesFile(opts.responses),
  ]);
  return diffEvents(before, after, events, {
    ...(opts.horizon !== undefined && { horizon: opts.horizon }),
    ...(start !== undefined && { start }),
    ...(stubs !== undefined && { stubs }),
  });
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

/** Registers `hunt simulate` and `hunt diff`. */
export function registerSimulateCommands(program: Command): void {
  program
    .command('simulate <config>')
    .description(
      'run the configuration offline over events (JSONL), with virtual time: state, actions, and why rules did not fire',
    )
    .requiredOption(
      '--events <file>',
      'JSONL file, one CloudEvents event per line; optional "at": ms or ISO time, 5m from the start, +30s after the previous event',
    )
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
        opts: TimeFlags & { events: string; json?: boolean; interleave?: boolean; maxOrders?: number },
      ) => {
        if (opts.maxOrders !== undefined && !opts.interleave) throw new CliError('--max-orders goes with --interleave');
        const { result, text } = opts.interleave
          ? await interleaveFiles(configPath, opts.events, opts)
          : await simulateFiles(configPath, opts.events, opts);
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
      .option('--start <time>', 'virtual time relative "at" values count from (ms or ISO 8601)')
      .option('--from-engine', "backtest on the engine's event log (the filters choose the events); nothing is called")
      .option('--horizon <time>', 'fire remaining timers only up to this time (ms or ISO 8601); default: all')
      .option('--responses <file>', RESPONSES_HELP)
      .option('--json', 'print the differences as JSON'),
  ).action(
    async (
      oldPath: string,
      newPath: string,
      opts: FilterFlags & TimeFlags & { events?: string; fromEngine?: boolean; json?: boolean },
    ) => {
      if ((opts.events === undefined) === (opts.fromEngine !== true))
        throw new CliError('hunt diff reads events from --events <file> or --from-engine: give one of them');
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
        outcome = await diffFiles(oldPath, newPath, opts.events!, opts);
      }
      const { diffs, rules, text } = outcome;
      process.stdout.write(`${opts.json ? JSON.stringify({ rules, entities: diffs }, null, 2) : text}\n`);
      // Like `diff`: exit 1 when something differs, so CI can gate on it.
      if (diffs.length > 0) process.exitCode = 1;
    },
  );
}
