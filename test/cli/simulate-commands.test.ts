import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { diffFiles, readEventsFile, simulateFiles } from '../../src/cli/simulate-commands.js';
import { CliError } from '../../src/cli/cli-error.js';

const config = join(import.meta.dirname, '..', '..', 'examples', 'treasure-hunt', 'hunt.yaml');
const happyPath = join(import.meta.dirname, '..', '..', 'examples', 'treasure-hunt', 'scenarios', 'happy-path.jsonl');

async function tempFile(name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hunt-sim-'));
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

describe('hunt simulate', () => {
  it('prints one header per event, state changes, actions and non-firing reasons', async () => {
    const { result, text } = await simulateFiles(config, happyPath);
    expect(result.steps.length).toBeGreaterThan(5);
    expect(text).toContain('2026-04-01T09:00:00.000Z  team/red-foxes  payment.succeeded pay-red-1');
    expect(text).toContain('state ~ paid: false → true');
    expect(text).toContain('→ send-first-clue[0] call mailer');
    expect(text).toContain('· finish-hunt: if —');
  });

  it('reports bad event lines with file and line number', async () => {
    const path = await tempFile('bad.jsonl', '{"id":"a","source":"s","type":"t"}\n\nnot json\n');
    await expect(readEventsFile(path)).rejects.toThrow(/bad\.jsonl:3: not JSON/);
    const missing = await tempFile('missing.jsonl', '{"id":"a","type":"t"}\n');
    await expect(readEventsFile(missing)).rejects.toThrow(CliError);
    await expect(readEventsFile('/nonexistent/events.jsonl')).rejects.toThrow(/file not found/);
  });

  it('turns an invalid configuration into a CliError', async () => {
    const broken = await tempFile('broken.yaml', 'name: x\nrules: 3\n');
    await expect(simulateFiles(broken, happyPath)).rejects.toThrow(CliError);
  });
});

describe('hunt diff', () => {
  it('shows nothing for the same config, and the changed actions for a changed one', async () => {
    expect((await diffFiles(config, config, happyPath)).text).toBe(
      'no rule fires differently\n\nno entity acts differently',
    );
    const { readFile } = await import('node:fs/promises');
    const original = await readFile(config, 'utf8');
    const changed = original.replace("clue: '{{ size(state.found) + 1 }}'", "clue: '{{ size(state.found) + 2 }}'");
    expect(changed).not.toBe(original);
    const changedPath = await tempFile('hunt.yaml', changed);
    const { diffs, rules, text } = await diffFiles(config, changedPath, happyPath);
    expect(diffs.map((d) => d.entity)).toEqual(['team/red-foxes']);
    // The per-rule summary comes first: the clue's firings are changed, none added or removed.
    expect(rules).toEqual([{ ruleId: 'unlock-next-clue', added: 0, removed: 0, changed: 4, entities: 1 }]);
    expect(text.indexOf('unlock-next-clue  +0')).toBeLessThan(text.indexOf('team/red-foxes: 4 actions differ'));
    expect(text).toContain('team/red-foxes: 4 actions differ');
    expect(text).toContain('~ unlock-next-clue[0]');
  });
});

describe('hunt simulate: emitted events are checked like ingested ones (issue 16)', () => {
  const yaml = `
name: incidents
entities:
  incident: { key: data.incidentId }
  service: { key: data.service }
sources: { pager: { auth: none } }
events:
  alert.raised:
    source: pager
    entity: incident
    schema: { type: object, required: [incidentId], properties: { incidentId: { type: string }, n: { type: string } } }
  storm.detected:
    entity: service
    schema: { type: object, required: [service, count], properties: { service: { type: string }, count: { type: integer } } }
rules:
  - id: report
    on: alert.raised
    then:
      - emit: { type: storm.detected, data: { service: web, count: '{{ data.n }}' } }
`;

  it('rejects an emitted event whose data breaks its schema, with the field and the reason', async () => {
    const configPath = await tempFile('incidents.yaml', yaml);
    const events = await tempFile(
      'alerts.jsonl',
      `${JSON.stringify({ id: 'a1', source: 'pager', type: 'alert.raised', data: { incidentId: 'i1', n: 'many' } })}\n`,
    );
    const { result } = await simulateFiles(configPath, events);
    const emitted = result.steps.find((s) => s.kind === 'emitted');
    expect(emitted).toMatchObject({ eventType: 'storm.detected', status: 'rejected' });
    expect(emitted?.reason).toContain('/data/count must be integer');
    expect(result.entities['service/web']).toBeUndefined();
  });
});
