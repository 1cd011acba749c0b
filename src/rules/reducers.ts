/**
 * Reducers fold an event into the entity's state: set, increment, append, remove (by value) and
 * merge (shallow) at a dotted path. Updates are immutable: the objects along the path are copied,
 * everything else is shared, so the previous state stays valid (the machine relies on that to
 * leave state unchanged when an event is rejected).
 */
import type { CompiledReducer, Json, JsonObject } from '../config/compiled.js';
import type { ExpressionScope } from './conditions.js';
import { renderTemplate } from './templates.js';
import { showValue } from './wording.js';
import { EngineError } from '../contract/engine-error.js';

/** A reducer that cannot apply (bad path, wrong type, failing template); the event is rejected. */
export class ReducerError extends EngineError {
  override readonly name = 'ReducerError';
  readonly code = 'REDUCER_FAILED';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(message);
  }
}

// Writing these keys would reach the prototype chain of plain objects.
const FORBIDDEN = new Set(['__proto__', 'constructor', 'prototype']);

function segmentsOf(path: string): string[] {
  const segments = path.split('.');
  for (const segment of segments) {
    if (segment === '' || FORBIDDEN.has(segment)) {
      throw new ReducerError(`state path "${path}" has an invalid segment "${segment}"`, path);
    }
  }
  return segments;
}

function isObject(value: Json | undefined): value is JsonObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads a dotted path from state; undefined when absent. */
export function readState(state: JsonObject, path: string): Json | undefined {
  let current: Json | undefined = state;
  for (const segment of path.split('.')) {
    if (!isObject(current) || !Object.prototype.hasOwnProperty.call(current, segment)) return undefined;
    current = current[segment];
  }
  return current;
}

/** Returns a copy of `state` with `update(old)` written at `path`; creates missing objects on the way. */
export function updateState(state: JsonObject, path: string, update: (old: Json | undefined) => Json): JsonObject {
  const segments = segmentsOf(path);
  const write = (node: JsonObject, depth: number): JsonObject => {
    const key = segments[depth] as string;
    const old = Object.prototype.hasOwnProperty.call(node, key) ? node[key] : undefined;
    if (depth === segments.length - 1) return { ...node, [key]: update(old) };
    if (old !== undefined && !isObject(old)) {
      const at = segments.slice(0, depth + 1).join('.');
      throw new ReducerError(`cannot write "${path}": "${at}" is ${showValue(old)}, not an object`, path);
    }
    return { ...node, [key]: write(old ?? {}, depth + 1) };
  };
  return write(state, 0);
}

function deepEqual(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b))
    return a.length === b.length && a.every((item, i) => deepEqual(item, b[i] as Json));
  const ak = Object.keys(a);
  const bo = b as JsonObject;
  return (
    ak.length === Object.keys(bo).length &&
    ak.every((k) => k in bo && deepEqual((a as JsonObject)[k] as Json, bo[k] as Json))
  );
}

/** JSON structural equality. */
export { deepEqual as jsonEqual };

/**
 * Applies one reducer; the value template sees `scope` plus the current `state`.
 * Throws ReducerError when it cannot apply.
 */
export function applyReducer(state: JsonObject, reducer: CompiledReducer, scope: ExpressionScope): JsonObject {
  const { op, path } = reducer;
  const where = `${op} ${path}`;
  let value: Json | undefined;
  if (reducer.value !== undefined) {
    try {
      value = renderTemplate(reducer.value, { ...scope, state }, { where });
    } catch (err) {
      throw new ReducerError(err instanceof Error ? err.message : String(err), path);
    }
  }
  const fail = (message: string): never => {
    throw new ReducerError(`${where}: ${message}`, path);
  };
  switch (op) {
    case 'set':
      return updateState(state, path, () => value ?? null);
    case 'increment': {
      const amount = value ?? 1;
      if (typeof amount !== 'number') fail(`the amount is ${showValue(amount)}, not a number`);
      return updateState(state, path, (old) => {
        if (old !== undefined && old !== null && typeof old !== 'number')
          fail(`the current value is ${showValue(old)}, not a number`);
        return ((old as number | null | undefined) ?? 0) + (amount as number);
      });
    }
    case 'append':
      return updateState(state, path, (old) => {
        if (old !== undefined && old !== null && !Array.isArray(old))
          fail(`the current value is ${showValue(old)}, not a list`);
        return [...((old as Json[] | null | undefined) ?? []), value ?? null];
      });
    case 'remove':
      if (readState(state, path) === undefined) return state;
      return updateState(state, path, (old) => {
        if (!Array.isArray(old)) return fail(`the current value is ${showValue(old)}, not a list`);
        return old.filter((item) => !deepEqual(item, value ?? null));
      });
    case 'merge':
      if (!isObject(value)) fail(`the value is ${showValue(value)}, not an object`);
      return updateState(state, path, (old) => {
        if (old !== undefined && old !== null && !isObject(old))
          fail(`the current value is ${showValue(old)}, not an object`);
        return { ...((old as JsonObject | null | undefined) ?? {}), ...(value as JsonObject) };
      });
    default:
      return fail(`unknown reducer "${String(op)}"`);
  }
}

/** Applies reducers in order, each seeing the state left by the previous one; throws ReducerError. */
export function applyReducers(
  state: JsonObject,
  reducers: readonly CompiledReducer[],
  scope: ExpressionScope,
): JsonObject {
  let next = state;
  for (const reducer of reducers) next = applyReducer(next, reducer, scope);
  return next;
}
