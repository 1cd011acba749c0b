import { execFile } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const reference = 'examples/treasure-hunt/hunt.yaml';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `hunt …` as a child process, the way a person does. */
async function hunt(...args: string[]): Promise<CliResult> {
  try {
    const { stdout, stderr } = await run(process.execPath, ['bin/hunt.js', ...args], {
      env: { ...process.env, NO_COLOR: '1' },
    });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const failure = err as { code: number; stdout: string; stderr: string };
    return { code: failure.code, stdout: failure.stdout, stderr: failure.stderr };
  }
}

describe('hunt validate', () => {
  it('exits 0 with a one-line summary for the reference config', async () => {
    const result = await hunt('validate', reference);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toMatch(
      /^ok city-treasure-hunt \(version [0-9a-f]{16}\): 2 entities, 6 sources, 16 events, 4 connectors, 19 rules$/,
    );
    expect(result.stderr).toContain('sources.simulator.auth: warning:');
  });

  it('prints located problems and exits 1 for a broken config', async () => {
    const result = await hunt('validate', 'examples/treasure-hunt/broken/typo-in-on.yaml');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(
      'examples/treasure-hunt/broken/typo-in-on.yaml:18:9 rules[0].on: unknown event "checkpoint.scaned": define it under events (did you mean "checkpoint.scanned"?)',
    );
    expect(result.stderr).not.toMatch(/\n\s+at /);
  });

  it('--json gives machine-readable results both ways', async () => {
    const ok = await hunt('validate', reference, '--json');
    expect(ok.code).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ ok: true, name: 'city-treasure-hunt', counts: { rules: 19 } });
    // The same key on success and failure (issue 16): warnings are problems of severity "warning".
    expect(JSON.parse(ok.stdout).problems).toEqual([
      expect.objectContaining({ severity: 'warning', path: 'sources.simulator.auth' }),
    ]);
    expect(JSON.parse(ok.stdout)).not.toHaveProperty('warnings');
    const bad = await hunt('validate', 'examples/treasure-hunt/broken/unknown-connector.yaml', '--json');
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toMatchObject({
      ok: false,
      problems: [{ path: 'rules[0].then[0].call', line: 20, column: 15, suggestion: 'mailer' }],
    });
  });

  it('reports a missing file and a syntax error without a stack trace', async () => {
    const missing = await hunt('validate', 'examples/treasure-hunt/nope.yaml');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('cannot read the configuration: file not found');
    const dir = await mkdtemp(join(tmpdir(), 'hunt-cli-'));
    const file = join(dir, 'syntax.yaml');
    await writeFile(file, 'name: x\nentities:\n  team: { key: data.teamId\nsources: {}\n');
    const syntax = await hunt('validate', file);
    expect(syntax.code).toBe(1);
    expect(syntax.stderr).toContain(`${file}:4:1 (document): not valid YAML/JSON`);
  });
});

describe('hunt lint', () => {
  it('exits 1 on an emit cycle', async () => {
    const result = await hunt('lint', 'examples/treasure-hunt/broken/emit-cycle.yaml');
    expect(result.code).toBe(1);
    expect(result.stdout).toMatch(/rules\[0\]: emit loop .* never stops/);
    expect(result.stdout).toMatch(/1 error\(s\)/);
  });

  it('exits 0 on the reference config with warnings only, and --json', async () => {
    const result = await hunt('lint', reference, '--json');
    expect(result.code).toBe(0);
    const body = JSON.parse(result.stdout) as { ok: boolean; problems: Array<{ severity: string }> };
    expect(body.ok).toBe(true);
    expect(body.problems.every((p) => p.severity === 'warning')).toBe(true);
  });
});

describe('hunt graph and hunt docs', () => {
  it('draws mermaid, dot and a self-contained html page', async () => {
    expect((await hunt('graph', reference)).stdout).toMatch(/^flowchart LR/);
    expect((await hunt('graph', reference, '--format', 'dot')).stdout).toMatch(/^digraph config/);
    const dir = await mkdtemp(join(tmpdir(), 'hunt-cli-'));
    const out = join(dir, 'graph.html');
    const html = await hunt('graph', reference, '--format', 'html', '-o', out);
    expect(html.code).toBe(0);
    expect(await readFile(out, 'utf8')).toMatch(/^<!doctype html>[\s\S]*<svg/);
    const bad = await hunt('graph', reference, '--format', 'png');
    expect(bad.code).toBe(1);
  });

  it('prints the catalog and the reference', async () => {
    const docs = await hunt('docs', reference);
    expect(docs.code).toBe(0);
    expect(docs.stdout).toContain('# city-treasure-hunt');
    const ref = await hunt('docs', '--reference');
    expect(ref.stdout).toMatch(/^# Configuration reference/);
    const broken = await hunt('docs', 'examples/treasure-hunt/broken/bad-cel.yaml');
    expect(broken.code).toBe(1);
    expect(broken.stderr).toContain('rules[0].if: condition is not valid CEL');
  });
});
