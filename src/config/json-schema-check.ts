/** Checks event data schemas (JSON Schema, draft-07) and their examples with ajv at compile time. */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import type { AnySchema, ErrorObject, Options, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { canonicalJson } from './canonical-json.js';

// ajv-formats is CommonJS: under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** The options of the ajv instance used for config checks (strict: unknown keywords such as `requried` are errors). */
export const AJV_OPTIONS = { allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true } as const;

/** The draft-07 meta-schema's id, as ajv registers it. */
export const DRAFT_07 = 'http://json-schema.org/draft-07/schema';

/**
 * The draft-07 meta-schema validator compiled ahead by `npm run build` (ajv's standalone code, see
 * json-schema-meta-code.ts), beside this module in dist/ — or, for the CLI bundle one level down, at the
 * same relative place. Compiling the meta-schema is the largest part of the first schema check, which every
 * `hunt validate` pays. Run from the sources there is none, and ajv compiles the meta-schema on first use.
 */
const precompiledMetaPath = fileURLToPath(new URL('../config/json-schema-draft07.cjs', import.meta.url));
const precompiledMeta: ValidateFunction | undefined = existsSync(precompiledMetaPath)
  ? (createRequire(import.meta.url)(precompiledMetaPath) as ValidateFunction)
  : undefined;

/** An ajv instance with the config checks' options; it checks schemas against the meta-schema itself. */
export function createAjv(options: Options = {}): Ajv {
  const ajv = new Ajv({ ...AJV_OPTIONS, ...options });
  addFormats(ajv);
  return ajv;
}

export type SchemaCheck = { ok: true; validate: (data: unknown) => string[] } | { ok: false; message: string };

// Compiling a schema costs milliseconds; editors and tests recompile the same schemas over and over.
const MAX_CACHED = 500;
const cache = new Map<string, SchemaCheck>();
let shared: Ajv | undefined;

/** Compiles a JSON Schema; on success returns a validator giving readable errors. */
export function checkJsonSchema(schema: unknown): SchemaCheck {
  const key = canonicalJson(schema);
  const hit = cache.get(key);
  if (hit) return hit;
  const check = compileSchema(schema);
  if (cache.size >= MAX_CACHED) cache.delete(cache.keys().next().value!);
  cache.set(key, check);
  return check;
}

function compileSchema(schema: unknown): SchemaCheck {
  // The meta-schema check is done here, so that it can use the precompiled validator. The generated code is not
  // optimized: these validators check a config's examples once, and ajv's optimizing pass cost a third of compiling
  // them (docs/performance.md); what they accept and the errors they give are the same.
  const ajv = (shared ??= createAjv({ validateSchema: false, code: { optimize: false } }));
  try {
    validateAgainstMetaSchema(ajv, schema as AnySchema);
    const validate = ajv.compile(schema as object);
    // The validator stays usable; dropping it from ajv's registry keeps memory bounded.
    ajv.removeSchema(schema as object);
    return {
      ok: true,
      validate: (data) => (validate(data) ? [] : (validate.errors ?? []).map(formatAjvError)),
    };
  } catch (err) {
    return { ok: false, message: err instanceof Error ? err.message : String(err) };
  }
}

/** Throws as ajv's own check does ("schema is invalid: …") when the schema breaks its meta-schema. */
function validateAgainstMetaSchema(ajv: Ajv, schema: AnySchema): void {
  const $schema = typeof schema === 'object' ? (schema.$schema as unknown) : undefined;
  const draft07 = $schema === undefined || $schema === DRAFT_07 || $schema === `${DRAFT_07}#`;
  if (!precompiledMeta || !draft07) {
    // Throws on an invalid schema. Its result is typed as possibly a promise (an async meta-schema); draft-07's is not.
    void ajv.validateSchema(schema, true);
    return;
  }
  if (!precompiledMeta(schema)) throw new Error(`schema is invalid: ${ajv.errorsText(precompiledMeta.errors)}`);
}

function formatAjvError(error: ErrorObject): string {
  return `${error.instancePath || '(data)'} ${error.message ?? 'is invalid'}`;
}
