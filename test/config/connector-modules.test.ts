/**
 * `hunt validate` over TypeScript connectors: the module must exist, export a `defineConnector` of the
 * connector's name, and each call's body must fit the connector's zod input where it is known — each problem
 * located at its file and line. The modules are real files loaded with the worker's loader.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileConfigFile, compileConfigText, connectorModuleProblems } from '../../src/config/index.js';
import { loadConfigText } from '../../src/config/loader.js';
import type { ConfigProblem } from '../../src/config/problems.js';

const FIXTURES = path.resolve('test/fixtures/connectors');
const FILE = path.join(FIXTURES, 'validate.yaml');

const config = (connector: string, body: string) => `name: modules
entities:
  team: { key: data.teamId, initial: {} }
sources: { game: { auth: none } }
events:
  team.finished:
    source: game
    entity: team
    schema: { type: object, required: [teamId, points], properties: { teamId: { type: string }, points: { type: number } } }
connectors:
${connector}
rules:
  - id: certify
    on: team.finished
    then:
      - call: flaky
        body: ${body}
`;

async function problemsOf(text: string): Promise<ConfigProblem[]> {
  const compiled = compileConfigText(text, FILE);
  if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
  return await connectorModuleProblems(compiled.config, loadConfigText(text, FILE));
}

describe('hunt validate checks TypeScript connectors', () => {
  it('accepts a module that exports the connector, with a body that fits its input', async () => {
    const text = config(
      '  flaky: { module: ./test-connectors.ts }',
      "{ team: '{{ entity.key }}', points: '{{ data.points }}' }",
    );
    expect(await problemsOf(text)).toEqual([]);
  });

  it('reports a missing module at the line of its `module`', async () => {
    const text = config('  flaky:\n    module: ./no-such-connector.ts', "{ team: '{{ entity.key }}' }");
    const problems = await problemsOf(text);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ file: FILE, line: 12, path: 'connectors.flaky.module', severity: 'error' });
    expect(problems[0]?.message).toContain('module ./no-such-connector.ts not found');
  });

  it('reports a module without a defineConnector of that name, listing what it has', async () => {
    const text = config(
      "  flaky: { module: ./test-connectors.ts }\n  imposter: { module: './test-connectors.ts' }",
      '{}',
    )
      .replace('call: flaky', 'call: imposter')
      .replace('body: {}', "body: { team: '{{ entity.key }}' }");
    const problems = await problemsOf(text);
    expect(problems.map((p) => [p.path, p.line])).toEqual([['connectors.imposter.module', 12]]);
    expect(problems[0]?.message).toMatch(
      /exports no defineConnector named "imposter", only "broken" \(export broken\), "flaky" \(export flaky\), "patient" \(export patient\)/,
    );
  });

  it('reports a literal of the wrong type, a placeholder of the wrong type and a required field never given', async () => {
    // `points` is given a string placeholder; `team` is missing; `extra` is fine (zod objects strip unknown keys).
    const text = config('  flaky: { module: ./test-connectors.ts }', "{ points: '{{ data.teamId }}', extra: 1 }");
    const wrongLiteral = config(
      '  flaky: { module: ./test-connectors.ts }',
      "{ team: 42, points: '{{ data.points }}' }",
    );
    const problems = [...(await problemsOf(text)), ...(await problemsOf(wrongLiteral))];
    expect(problems.map((p) => ({ path: p.path, line: p.line, message: p.message }))).toEqual([
      {
        path: 'rules[0].then[0].body',
        line: 17,
        message: 'the call\'s body never provides `team`, which connector "flaky"\'s input wants (required)',
      },
      {
        path: 'rules[0].then[0].body.points',
        line: 17,
        message: 'body field `points` is `{{ data.teamId }}`, a string, but connector "flaky"\'s input wants a number',
      },
      {
        path: 'rules[0].then[0].body.team',
        line: 17,
        message: 'body field `team` is 42, an integer, but connector "flaky"\'s input wants a string',
      },
    ]);
  });
});

describe('the hunt validate command', () => {
  let dir: string;
  beforeAll(async () => {
    // Inside the repository, so the module resolves zod and the engine's SDK as a user's would.
    dir = await mkdtemp(path.join(FIXTURES, 'validate-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('fails with file, line and reason (lint too; docs list the input); compileConfigFile does the same', async () => {
    const file = path.join(dir, 'hunt.yaml');
    await writeFile(
      file,
      config('  flaky: { module: ../test-connectors.ts }', "{ team: '{{ entity.key }}', points: true }"),
    );
    const result = await compileConfigFile(file, { connectorModules: true });
    expect(result.ok).toBe(false);
    // Without the option the modules are not loaded (commands that never run a connector).
    expect((await compileConfigFile(file)).ok).toBe(true);
    const run = promisify(execFile);
    const failed = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'validate', file]).then(
      () => undefined,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failed?.code).toBe(1);
    const expected = `${file}:17:51 rules[0].then[0].body.points: body field \`points\` is true, a boolean, but connector "flaky"'s input wants a number`;
    expect(failed?.stderr).toContain(expected);
    // hunt lint reports it too.
    const linted = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'lint', file]).then(
      () => undefined,
      (err: { code: number; stdout: string }) => err,
    );
    expect(linted?.code).toBe(1);
    expect(linted?.stdout).toContain(expected);
    // hunt docs lists the connector with its module and input.
    const docs = await run(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'docs', file]);
    expect(docs.stdout).toContain('- TypeScript connector: `../test-connectors.ts`');
    expect(docs.stdout).toContain('- input: `team` string (required), `points` number');
  }, 60_000);
});
