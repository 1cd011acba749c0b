/** What changed between two states, path by path: the "state diff" of simulation output. */
import type { Json, JsonObject } from '../config/compiled.js';
import { jsonEqual } from './reducers.js';

/** One changed path; `before`/`after` absent when the path did not exist. */
export interface StateChange {
  path: string;
  before?: Json;
  after?: Json;
}

function isObject(value: Json | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Changed paths between two states, descending into objects (lists compare as whole values). */
export function diffState(before: JsonObject, after: JsonObject): StateChange[] {
  const changes: StateChange[] = [];
  const walk = (a: Json | undefined, b: Json | undefined, path: string): void => {
    if (a === b) return;
    if (isObject(a) && isObject(b)) {
      const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
      for (const key of keys) walk(a[key], b[key], path === '' ? key : `${path}.${key}`);
      return;
    }
    if (a !== undefined && b !== undefined && jsonEqual(a, b)) return;
    changes.push({ path, ...(a !== undefined && { before: a }), ...(b !== undefined && { after: b }) });
  };
  walk(before, after, '');
  return changes;
}
