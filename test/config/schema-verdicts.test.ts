/**
 * The config check's verdicts on event schemas and examples are kept across runs (src/config/schema-verdicts.ts):
 * each pair once, under a key of everything the verdict depends on, and the same verdict as compiling it.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkJsonSchema } from '../../src/config/json-schema-check.js';
import { checkEventSchema } from '../../src/config/schema-verdicts.js';

const schema = { type: 'object', required: ['teamId'], properties: { teamId: { type: 'string' } } };

describe('checkEventSchema', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'hunt-verdicts-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the verdict compiling gives, and keeps it: one file per schema and example', async () => {
    const check = checkJsonSchema(schema);
    if (!check.ok) throw new Error(check.message);
    expect(checkEventSchema(schema, { teamId: 7 }, dir)).toEqual({
      ok: true,
      exampleErrors: check.validate({ teamId: 7 }),
    });
    expect(checkEventSchema(schema, { teamId: 7 }, dir)).toMatchObject({
      ok: true,
      exampleErrors: ['/teamId must be string'],
    });
    expect(checkEventSchema(schema, { teamId: 'a' }, dir)).toEqual({ ok: true, exampleErrors: [] });
    expect(checkEventSchema(schema, undefined, dir)).toEqual({ ok: true, exampleErrors: [] });
    expect(checkEventSchema({ type: 'strnig' }, undefined, dir)).toMatchObject({
      ok: false,
      schemaError: expect.stringContaining('schema is invalid'),
    });
    expect((await readdir(dir)).filter((f) => f.endsWith('.json'))).toHaveLength(4);
    // Key order does not make another entry.
    checkEventSchema(
      { properties: schema.properties, required: schema.required, type: 'object' },
      { teamId: 'a' },
      dir,
    );
    expect((await readdir(dir)).filter((f) => f.endsWith('.json'))).toHaveLength(4);
  });

  it('answers from the kept verdict, without compiling again', async () => {
    checkEventSchema(schema, { teamId: 'a' }, dir);
    const [file] = await readdir(dir);
    expect(JSON.parse(await readFile(path.join(dir, file!), 'utf8'))).toEqual({ ok: true, exampleErrors: [] });
    // A verdict written by hand shows that the second check reads the file instead of compiling.
    await writeFile(path.join(dir, file!), JSON.stringify({ ok: true, exampleErrors: ['kept'] }));
    expect(checkEventSchema(schema, { teamId: 'a' }, dir)).toEqual({ ok: true, exampleErrors: ['kept'] });
    // Without a cache directory, nothing is kept or read.
    expect(checkEventSchema(schema, { teamId: 'a' }, false)).toEqual({ ok: true, exampleErrors: [] });
  });

  it('compiles as before when the cache directory cannot be written', () => {
    const blocked = path.join(os.tmpdir(), `hunt-verdicts-file-${process.pid}`);
    return writeFile(blocked, 'not a directory').then(() => {
      expect(checkEventSchema(schema, { teamId: 1 }, path.join(blocked, 'sub'))).toMatchObject({
        ok: true,
        exampleErrors: ['/teamId must be string'],
      });
      return rm(blocked, { force: true });
    });
  });
});
