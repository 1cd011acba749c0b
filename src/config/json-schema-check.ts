/** Checks event data schemas (JSON Schema, draft-07) and their examples with ajv at compile time. */
import { Ajv } from 'ajv';
import type { ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS: under NodeNext its default export arrives wrapped.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** The ajv instance used for config checks (strict: unknown keywords such as `requried` are errors). */
function createAjv(): Ajv {
  const ajv = new Ajv({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  addFormats(ajv);
  return ajv;
}

export type SchemaCheck = { ok: true; validate: (data: unknown) => string[] } | { ok: false; message: string };

/** Compiles a JSON Schema; on success returns a validator giving readable errors. */
export function checkJsonSchema(schema: unknown): SchemaCheck {
  const ajv = createAjv();
  try {
    const validate = ajv.compile(schema as object);
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
