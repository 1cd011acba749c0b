/** `hunt types` output: type-checks a sample use of the SDK against the generated types with tsc. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { emitEventTypes } from '../../src/client/event-types-emitter.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { fixtureConfig } from '../ingest/ingest-fixture.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'hunt-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const clientModule = path.resolve('src/client/index.js');

function typeCheck(files: Record<string, string>): string[] {
  const paths = Object.entries(files).map(([name, text]) => {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    return file;
  });
  const program = ts.createProgram(paths, {
    strict: true,
    noEmit: true,
    module: ts.ModuleKind.NodeNext,
    moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022,
    skipLibCheck: true,
    types: ['node'],
    typeRoots: [path.resolve('node_modules/@types')],
  });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && paths.includes(d.file.fileName))
    .map((d) => `${path.basename(d.file!.fileName)}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

const edgeConfig: CompiledConfig = {
  ...fixtureConfig(),
  events: {
    'odd-shapes/v2': {
      type: 'odd-shapes/v2',
      sources: ['scanners'],
      entity: 'team',
      reduce: [],
      schema: {
        type: 'object',
        required: ['teamId', 'kind', 'tags'],
        properties: {
          teamId: { type: 'string', description: 'the team' },
          kind: { enum: ['a', 'b'] },
          tags: { type: 'array', items: { type: 'string' } },
          score: { type: ['number', 'null'] },
          pair: { type: 'array', prefixItems: [{ type: 'string' }, { type: 'integer' }] },
          meta: { type: 'object', additionalProperties: { type: 'number' } },
          either: { oneOf: [{ const: 1 }, { type: 'object', properties: { x: { type: 'boolean' } } }] },
          'needs-quotes': { type: 'string' },
        },
      },
    },
  },
};

describe('emitEventTypes', () => {
  it('generates types that make publish() check data at compile time', () => {
    const sample = `
import { createEngineClient } from ${JSON.stringify(clientModule)};
import type { HuntEvents } from './hunt-events.js';
declare const config: Parameters<typeof createEngineClient>[0]['config'];
const client = createEngineClient<HuntEvents>({ taskQueue: 'q', config });
export async function ok() {
  await client.publish({ type: 'checkpoint.scanned', source: 'scanners', data: { teamId: 't', checkpoint: 'cp-1' } });
  await client.send({ type: 'payment.succeeded', source: 'payments', data: { teamId: 't', amount: 40, email: 'a@b.c' } });
  // @ts-expect-error — checkpoint is required
  await client.publish({ type: 'checkpoint.scanned', source: 'scanners', data: { teamId: 't' } });
  // @ts-expect-error — amount must be a number
  await client.publish({ type: 'payment.succeeded', source: 'payments', data: { teamId: 't', amount: '40' } });
  // @ts-expect-error — no such event type
  await client.publish({ type: 'treasure.stolen', source: 'scanners', data: {} });
  // @ts-expect-error — a typo in a field name
  await client.publish({ type: 'checkpoint.scanned', source: 'scanners', data: { teamId: 't', checkpoint: 'cp-1', scanedBy: 'x' } });
}
`;
    const errors = typeCheck({ 'hunt-events.ts': emitEventTypes(fixtureConfig()), 'sample.ts': sample });
    expect(errors).toEqual([]);
  });

  it('reports a wrong call as a compile error (the check can fail)', () => {
    const sample = `
import { createEngineClient } from ${JSON.stringify(clientModule)};
import type { HuntEvents } from './hunt-events-2.js';
declare const config: Parameters<typeof createEngineClient>[0]['config'];
export const p = createEngineClient<HuntEvents>({ taskQueue: 'q', config }).publish({ type: 'checkpoint.scanned', source: 's', data: { teamId: 1 } });
`;
    const errors = typeCheck({ 'hunt-events-2.ts': emitEventTypes(fixtureConfig()), 'sample-2.ts': sample });
    expect(errors.join('\n')).toMatch(/sample-2\.ts/);
  });

  it('handles enums, unions, tuples, nullable, maps and keys that need quotes', () => {
    const text = emitEventTypes(edgeConfig);
    expect(text).toContain('export type OddShapesV2Data = {');
    expect(text).toContain('kind: "a" | "b";');
    expect(text).toContain('tags: Array<string>;');
    expect(text).toContain('score?: number | null;');
    expect(text).toContain('pair?: [string, number];');
    expect(text).toContain('[key: string]: number;');
    expect(text).toContain('"needs-quotes"?: string;');
    expect(text).toContain('"odd-shapes/v2": OddShapesV2Data;');
    const sample = `
import type { OddShapesV2Data } from './edge.js';
export const x: OddShapesV2Data = { teamId: 't', kind: 'a', tags: [], score: null, pair: ['a', 1], meta: { a: 1 }, either: { x: true } };
`;
    expect(typeCheck({ 'edge.ts': text, 'edge-sample.ts': sample })).toEqual([]);
  });
});
