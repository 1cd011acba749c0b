/** `hunt simulate` and `hunt diff`: run a configuration offline over recorded events, with virtual time. */
import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { ConfigError, loadCompiledConfig } from '../config/index.js';
import type { CompiledConfig } from '../config/index.js';
import { createEventValidator } from '../config/event-validator.js';
import { simulate } from '../rules/simulate.js';
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
import { filtersFromFlags, withFilterFlags, type FilterFlags } from './events-commands.js';
import { withTemporalClient } from './temporal-client.js';

/** Reads a JSONL file of events (blank lines ignored; `specversion` defaults to 1.0). */
export async function readEventsFile(path: string): Promise<SimulationEvent[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(err);
    throw new CliError(`cannot read events file ${path}: ${reason}`);
  }
  const events: SimulationEvent[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    const where = `${path}:${i + 1}`;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      throw new CliError(
        `${where}: not JSON (${err instanceof Error ? err.message : String(err)}); write one event per line`,
      );
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new CliError(`${where}: an event must be a JSON object`);
    const event = value as Record<string, unknown>;
    for (const field of ['id', 'source', 'type']) {
      if (typeof event[field] !== 'string' || event[field] === '') {
        throw new CliError(`${where}: the event needs a non-empty string "${field}"`);
      }
    }
    events.push({ specversion: '1.0', data: null, ...event } as SimulationEvent);
  });
  return events;
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
): SimulationOptions {
  // Emitted events are checked as the engine's emit activity checks them.
  const validator = createEventValidator(config);
  const checkEmitted = (event: EngineEvent) =>
    validator.validateEmitted(event).map((p) => `${p.pointer || '(event)'} ${p.detail}`);
  return {
    checkEmitted,
    ...(responses !== undefined && { responses }),
    ...(horizon !== undefined && { horizon: /^\d+$/.test(horizon) ? Number(horizon) : horizon }),
  };
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
  opts: { horizon?: string; responses?: string } = {},
): Promise<{ result: SimulationResult; text: string }> {
  const [config, events, responses] = await Promise.all([
    loadConfig(configPath),
    readEventsFile(eventsPath),
    opts.responses === undefined ? undefined : readResponsesFile(opts.responses),
  ]);
  const result = run(config, events, options(config, opts.horizon, responses));
  return { result, text: formatSimulation(result) };
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
  opts: { horizon?: string; stubs?: StubbedResponses } = {},
): DiffOutcome {
  const old = run(before, events, options(before, opts.horizon, opts.stubs));
  const now = run(after, events, options(after, opts.horizon, opts.stubs));
  const diffs = diffSimulations(old, now);
  const rules = summarizeRuleChanges(old, now);
  return { diffs, rules, text: `${formatRuleChanges(rules)}\n\n${formatSimulationDiff(diffs)}` };
}

/** Simulates two configurations over the same events file. */
export async function diffFiles(
  oldPath: string,
  newPath: string,
  eventsPath: string,
  opts: { horizon?: string; responses?: string } = {},
): Promise<DiffOutcome> {
  const [before, after, events, stubs] = await Promise.all([
    loadConfig(oldPath),
    loadConfig(newPath),
    readEventsFile(eventsPath),
    opts.responses === undefined ? undefined : readResponsesFile(opts.responses),
  ]);
  return diffEvents(before, after, events, { ...opts, ...(stubs !== undefined && { stubs }) });
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

/** Registers `hunt simulate` and `hunt diff`. */
export function registerSimulateCommands(program: Command): void {
  program
    .command('simulate <config>')
    .description(
      'run the configuration offline over events (JSONL), with virtual time: state, actions, and why rules did not fire',
    )
    .requiredOption('--events <file>', 'JSONL file, one CloudEvents event per line (optional "at": ms or ISO time)')
    .option('--horizon <time>', 'fire remaining timers only up to this time (ms or ISO 8601); default: all')
    .option('--responses <file>', RESPONSES_HELP)
    .option('--json', 'print the full result as JSON')
    .action(
      async (configPath: string, opts: { events: string; horizon?: string; responses?: string; json?: boolean }) => {
        const { result, text } = await simulateFiles(configPath, opts.events, opts);
        process.stdout.write(`${opts.json ? JSON.stringify(result, null, 2) : text}\n`);
      },
    );

  withFilterFlags(
    program
      .command('diff <old> <new>')
      .description(
        'simulate two configurations over the same events: which rules fire differently, then the entities whose actions differ',
      )
      .option('--events <file>', 'JSONL file, one CloudEvents event per line')
      .option('--from-engine', "backtest on the engine's event log (the filters choose the events); nothing is called")
      .option('--horizon <time>', 'fire remaining timers only up to this time (ms or ISO 8601); default: all')
      .option('--responses <file>', RESPONSES_HELP)
      .option('--json', 'print the differences as JSON'),
  ).action(
    async (
      oldPath: string,
      newPath: string,
      opts: FilterFlags & {
        events?: string;
        fromEngine?: boolean;
        horizon?: string;
        responses?: string;
        json?: boolean;
      },
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
