import { describe, expect, it } from 'vitest';
import { parseRulesTable } from '../../bench/scenarios/rule-evaluation.js';

describe('parseRulesTable', () => {
  it("reads bench/rules.ts's console.table rows", () => {
    const output = [
      '┌─────────┬───────┬──────────────────┬──────────┬──────────┐',
      '│ (index) │ rules │ indexed for scan │ events/s │ µs/event │',
      '├─────────┼───────┼──────────────────┼──────────┼──────────┤',
      '│ 0       │ 10    │ 3                │ 59744    │ 16.74    │',
      '│ 2       │ 1000  │ 3                │ 71918    │ 13.9     │',
      '└─────────┴───────┴──────────────────┴──────────┴──────────┘',
    ].join('\n');
    expect([...parseRulesTable(output)]).toEqual([
      [10, 59744],
      [1000, 71918],
    ]);
  });
});
