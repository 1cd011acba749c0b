/**
 * The config check's verdict on an event's JSON Schema and its example, remembered across runs. Compiling a
 * schema with ajv is the costly part of checking it (≈40 ms for the reference config's 11 event schemas, a
 * tenth of `hunt validate`), and the verdict is a pure function of the schema, the example, ajv's version and
 * the options the check compiles with: so it is kept in `$XDG_CACHE_HOME/treasure-hunt/schema-verdicts/` (else
 * `~/.cache/…`), one small file per schema and example, keyed by a hash of all of those. Without a writable
 * cache directory every check compiles, as before.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { writeCacheFile } from '../dev/cache-file.js';
import { defaultCacheRoot } from '../dev/temporal-cli.js';
import { canonicalJson } from './canonical-json.js';
import { AJV_OPTIONS, checkJsonSchema } from './json-schema-check.js';

/** Why the schema is not valid JSON Schema, or what the example breaks (empty when it fits or is absent). */
export type SchemaVerdict = { ok: false; schemaError: string } | { ok: true; exampleErrors: string[] };

// Bumped when the check itself changes (what it compiles with, how it words an error).
const FORMAT = 1;

const ajvVersion = (() => {
  try {
    return (createRequire(import.meta.url)('ajv/package.json') as { version: string }).version;
  } catch {
    return undefined; // no way to tell a new ajv from the old one: do not cache
  }
})();

/** The default directory of the verdicts. */
export function schemaVerdictDir(env: Record<string, string | undefined> = process.env): string {
  return path.join(defaultCacheRoot(env), 'schema-verdicts');
}

/** Checks an event's schema and its example, from the cache when this pair was checked before. */
export function checkEventSchema(
  schema: unknown,
  example: unknown,
  dir: string | false = schemaVerdictDir(),
): SchemaVerdict {
  const file =
    dir === false || ajvVersion === undefined
      ? undefined
      : path.join(
          dir,
          `${hashOf([FORMAT, ajvVersion, AJV_OPTIONS, canonicalJson(schema), canonicalJson(example ?? null)])}.json`,
        );
  if (file !== undefined) {
    try {
      return JSON.parse(readFileSync(file, 'utf8')) as SchemaVerdict;
    } catch {
      // not checked yet (or unreadable): check it
    }
  }
  const check = checkJsonSchema(schema);
  const verdict: SchemaVerdict = !check.ok
    ? { ok: false, schemaError: check.message }
    : { ok: true, exampleErrors: example === undefined ? [] : check.validate(example) };
  // Not writable: the next check compiles again.
  if (file !== undefined) writeCacheFile(file, JSON.stringify(verdict));
  return verdict;
}

function hashOf(value: unknown): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);
}
