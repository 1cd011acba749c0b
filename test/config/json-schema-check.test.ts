/**
 * The precompiled draft-07 meta-schema validator `npm run build` writes (ajv standalone code) judges schemas
 * exactly as ajv's own meta-schema check does, with the same messages; and checkJsonSchema reports a schema
 * that breaks the meta-schema or uses an unknown keyword.
 */
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { ValidateFunction } from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkJsonSchema, createAjv, DRAFT_07 } from '../../src/config/json-schema-check.js';
import { draft07ValidatorCode } from '../../src/config/json-schema-meta-code.js';

const schemas: unknown[] = [
  { type: 'object', properties: { teamId: { type: 'string', minLength: 1 } }, required: ['teamId'] },
  { $schema: `${DRAFT_07}#`, type: ['string', 'null'], enum: ['a', null] },
  { type: 'strnig' },
  { type: 'object', required: 'teamId' },
  { properties: { a: { minLength: -1 } }, items: [] },
  { $id: 42, allOf: {}, pattern: 7 },
  { type: 'array', items: { type: 'number', maximum: 'ten' }, uniqueItems: 'yes', enum: [1, 1] },
  true,
];

let dir: string;
let precompiled: ValidateFunction;

beforeAll(async () => {
  await fs.mkdir('.hunt', { recursive: true });
  // Inside the project, so its import of ajv's runtime helper resolves as it does in dist/.
  dir = await fs.mkdtemp(path.resolve('.hunt', 'meta-schema-'));
  const file = path.join(dir, 'json-schema-draft07.cjs');
  await fs.writeFile(file, draft07ValidatorCode());
  precompiled = createRequire(import.meta.url)(file) as ValidateFunction;
});
afterAll(async () => {
  if (dir) await fs.rm(dir, { recursive: true, force: true });
});

describe('the precompiled draft-07 meta-schema validator', () => {
  it('gives the verdict and the message of ajv compiling the meta-schema itself', () => {
    const ajv = createAjv();
    const verdicts = schemas.map((schema) => {
      const own = ajv.validateSchema(schema as object) as boolean;
      const ownText = own ? '' : ajv.errorsText(ajv.errors);
      const ahead = precompiled(schema);
      return { schema, own, ahead, same: ownText === (ahead ? '' : ajv.errorsText(precompiled.errors)) };
    });
    for (const v of verdicts) expect(v, JSON.stringify(v.schema)).toMatchObject({ ahead: v.own, same: true });
    // Both valid and invalid schemas were compared.
    expect(verdicts.filter((v) => v.own).length).toBe(3);
  });
});

describe('checkJsonSchema', () => {
  it('says why a schema breaks the meta-schema, and refuses unknown keywords (ajv strict mode)', () => {
    expect(checkJsonSchema({ type: 'strnig' })).toMatchObject({
      ok: false,
      message: expect.stringMatching(/^schema is invalid: data\/type must be equal to one of the allowed values/),
    });
    expect(checkJsonSchema({ type: 'object', requried: ['a'] })).toMatchObject({
      ok: false,
      message: expect.stringContaining('unknown keyword: "requried"'),
    });
    const check = checkJsonSchema({ type: 'object', required: ['teamId'] });
    if (!check.ok) throw new Error(check.message);
    expect(check.validate({})).toEqual(["(data) must have required property 'teamId'"]);
    expect(check.validate({ teamId: 'x' })).toEqual([]);
  });
});
