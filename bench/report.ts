/** The bench's stdout table: one row per figure and ratio, with min / median / max over repeats. */
import type { BenchResults } from './results-model.js';
import { round } from './stats.js';

/** Renders the results as a plain-text table. */
export function renderTable(results: BenchResults): string {
  const rows: string[][] = [['#', 'figure', 'unit', 'min', 'median', 'max', 'target', '']];
  for (const scenario of results.scenarios) {
    rows.push([String(scenario.id), scenario.title, '', '', '', '', '', '']);
    for (const f of scenario.figures) {
      rows.push(['', `  ${f.label}`, f.unit, ...[f.spread.min, f.spread.median, f.spread.max].map(fmt), '', '']);
    }
    for (const r of scenario.ratios) {
      rows.push([
        '',
        `  ${r.label}`,
        'ratio',
        ...[r.spread.min, r.spread.median, r.spread.max].map(fmt),
        r.target,
        r.met === undefined ? '' : r.met ? 'met' : 'MISSED',
      ]);
    }
    for (const note of scenario.notes) rows.push(['', `  · ${note}`, '', '', '', '', '', '']);
  }
  const widths = rows[0]!.map((_, c) =>
    Math.max(...rows.filter((row) => !row[1]!.startsWith('  ·')).map((row) => row[c]!.length)),
  );
  const header = `${results.machine.cpus} × ${results.machine.cpuModel}, node ${results.machine.node}, mode ${results.mode}, ${results.durationSeconds} s`;
  const lines = rows.map((row) =>
    row[1]!.startsWith('  ·')
      ? `${''.padEnd(widths[0]!)}  ${row[1]}`
      : row.map((cell, c) => (c >= 3 && c <= 5 ? cell.padStart(widths[c]!) : cell.padEnd(widths[c]!))).join('  '),
  );
  return `${header}\n${lines.join('\n')}\n`;
}

function fmt(value: number): string {
  return Number.isFinite(value) ? String(round(value)) : '–';
}
