/**
 * Scenario 7: offline rule evaluation (the EntityMachine alone, no Temporal) with 10, 100 and 1,000
 * rules, reusing bench/rules.ts: it is run as its own process and its table is read back.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { BenchSizes } from '../bench-options.js';
import { figure, type ScenarioResult } from '../results-model.js';

const rulesBench = fileURLToPath(new URL('../rules.ts', import.meta.url));

/** Rows of bench/rules.ts's console.table: rule count → events/s. */
export function parseRulesTable(output: string): Map<number, number> {
  const rows = new Map<number, number>();
  for (const line of output.split('\n')) {
    // │ (index) │ rules │ indexed for scan │ events/s │ µs/event │
    const cells = line
      .split('│')
      .map((cell) => cell.trim())
      .filter((cell) => cell.length > 0);
    if (cells.length < 5) continue;
    const rules = Number(cells[1]);
    const eventsPerSecond = Number(cells[3]);
    if (Number.isFinite(rules) && Number.isFinite(eventsPerSecond)) rows.set(rules, eventsPerSecond);
  }
  return rows;
}

/** Scenario 7. */
export async function runRuleEvaluation(sizes: BenchSizes): Promise<ScenarioResult> {
  const runs: Array<Map<number, number>> = [];
  for (let r = 0; r < sizes.rules.repeats; r++) {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', rulesBench], {
      maxBuffer: 1024 * 1024,
    });
    const rows = parseRulesTable(stdout);
    if (!rows.has(1_000)) throw new Error(`bench/rules.ts printed no 1,000-rule row:\n${stdout}`);
    runs.push(rows);
  }
  const of = (rules: number) => runs.map((rows) => rows.get(rules) ?? Number.NaN);
  return {
    id: 7,
    title: 'offline rule evaluation (EntityMachine, 3 rules indexed per event)',
    parameters: { repeats: sizes.rules.repeats, eventsPerRun: 20_000 },
    figures: [
      figure('1,000 rules', 'events/s', of(1_000)),
      figure('100 rules', 'events/s', of(100)),
      figure('10 rules', 'events/s', of(10)),
    ],
    ratios: [],
    notes: ['bench/rules.ts: the cost per event must not grow with rules that do not see it'],
  };
}
