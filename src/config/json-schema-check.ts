/** Checks event data schemas (JSON Schema, draft-07) and their examples with ajv at compile time. */
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { canonicalJson } from './canonical-json.js';

// ajv-formats is CommonJS: under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** The ajv instance used for config checks (strict: unknown keywords such as `requried` are errors). */
function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
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
  const ajv = (shared ??= createAjv());
  try {
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

function formatAjvError(error: ErrorObject): string {
  return `${error.instancePath || '(data)'} ${error.message ?? 'is invalid'}`;
}
