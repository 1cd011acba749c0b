import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { compileConfigText } from '../../src/config/index.js';
import type { ConfigProblem } from '../../src/config/index.js';

const dir = 'examples/treasure-hunt/broken';

async function problemsOf(name: string): Promise<ConfigProblem[]> {
  const file = `${dir}/${name}.yaml`;
  const result = compileConfigText(await readFile(file, 'utf8'), file);
  if (result.ok) throw new Error(`${file} compiled, but it is meant to be broken`);
  return result.problems.filter((p) => p.severity === 'error');
}

/** Each broken variant: the one located error it must produce. */
const cases: Array<{ name: string; path: string; line: number; column: number; message: RegExp; suggestion?: string }> =
  [
    {
      name: 'typo-in-on',
      path: 'rules[0].on',
      line: 18,
      column: 9,
      message: /unknown event "checkpoint\.scaned"/,
      suggestion: 'checkpoint.scanned',
    },
    {
      name: 'unknown-connector',
      path: 'rules[0].then[0].call',
      line: 20,
      column: 15,
      message: /unknown connector "mailr"/,
      suggestion: 'mailer',
    },
    {
      name: 'unknown-source',
      path: 'events["checkpoint.scanned"].source',
      line: 9,
      column: 13,
      message: /unknown source "scaners"/,
      suggestion: 'scanners',
    },
    { name: 'bad-cel', path: 'rules[0].if', line: 19, column: 9, message: /condition is not valid CEL/ },
    {
      name: 'env-in-rule',
      path: 'rules[0].then[0].body.token',
      line: 21,
      column: 24,
      message: /reads env: .*only allowed in connector settings/,
    },
    {
      name: 'bad-duration',
      path: 'rules[0].unless.window',
      line: 19,
      column: 50,
      message: /"2 hours" is not a duration/,
    },
    {
      name: 'unknown-field',
      path: 'rules[0].thn',
      line: 19,
      column: 5,
      message: /unknown field "thn"/,
      suggestion: 'then',
    },
    {
      name: 'duplicate-rule-id',
      path: 'rules[1].id',
      line: 21,
      column: 9,
      message: /duplicate rule id "unlock-next-clue" \(first used by rules\[0\]\)/,
    },
    { name: 'bad-join', path: 'rules[0].all', line: 18, column: 10, message: /expression ends too early/ },
    {
      name: 'bad-pattern',
      path: 'rules[0].on.match.data.points.numeric',
      line: 20,
      column: 43,
      message: /numeric takes operator\/number pairs/,
    },
    {
      name: 'bad-schema',
      path: 'events["checkpoint.scanned"].schema',
      line: 11,
      column: 13,
      message: /not a valid JSON Schema: .*unknown keyword: "requried"/,
    },
    {
      name: 'two-timings',
      path: 'rules[0].throttle',
      line: 20,
      column: 5,
      message: /at most one timing clause, found debounce and throttle/,
    },
  ];

describe('broken example variants', () => {
  it.each(cases)(
    '$name gives the expected located problem',
    async ({ name, path, line, column, message, suggestion }) => {
      const problems = await problemsOf(name);
      const problem = problems.find((p) => p.path === path);
      expect(problem, `problems: ${JSON.stringify(problems)}`).toBeDefined();
      expect(problem).toMatchObject({ file: `${dir}/${name}.yaml`, line, column, severity: 'error' });
      expect(problem!.message).toMatch(message);
      expect(problem!.suggestion).toBe(suggestion);
    },
  );

  it('unknown-field also reports the missing `then` in the same pass', async () => {
    const problems = await problemsOf('unknown-field');
    expect(problems.map((p) => p.path)).toEqual(expect.arrayContaining(['rules[0].then', 'rules[0].thn']));
  });
});
