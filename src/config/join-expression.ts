/**
 * Joins (`all:`): "these events, in any order", in Argo Events' dependency-expression style.
 * Parses the string form `a && (b || c)` and converts the list form `[a, { any: [b, c] }]`.
 */
import type { EventRef, JoinExpr, Pattern } from './compiled.js';

export type JoinParse = { ok: true; join: JoinExpr } | { ok: false; message: string; offset: number };

const TOKEN = /\s*(&&|\|\||\(|\)|[A-Za-z][\w-]*(?:\.[\w-]+)*|\S)/y;

/** Parses `a && (b || c)`: `&&` binds tighter than `||`; names are event types. */
export function parseJoinExpression(source: string): JoinParse {
  const tokens: Array<{ text: string; offset: number }> = [];
  TOKEN.lastIndex = 0;
  for (let match = TOKEN.exec(source); match; match = TOKEN.exec(source)) {
    tokens.push({ text: match[1]!, offset: match.index + match[0].length - match[1]!.length });
  }
  let at = 0;
  const peek = (): string | undefined => tokens[at]?.text;
  const offset = (): number => tokens[at]?.offset ?? source.length;
  class Fail extends Error {
    constructor(
      message: string,
      readonly offset: number,
    ) {
      super(message);
    }
  }
  const parseOr = (): JoinExpr => {
    const parts = [parseAnd()];
    while (peek() === '||') {
      at++;
      parts.push(parseAnd());
    }
    return parts.length === 1 ? parts[0]! : { any: flatten(parts, 'any') };
  };
  const parseAnd = (): JoinExpr => {
    const parts = [parseAtom()];
    while (peek() === '&&') {
      at++;
      parts.push(parseAtom());
    }
    return parts.length === 1 ? parts[0]! : { all: flatten(parts, 'all') };
  };
  const parseAtom = (): JoinExpr => {
    const token = peek();
    if (token === '(') {
      const open = offset();
      at++;
      const inner = parseOr();
      if (peek() !== ')') throw new Fail(`"(" at column ${open + 1} is never closed`, offset());
      at++;
      return inner;
    }
    if (token !== undefined && /^[A-Za-z]/.test(token)) {
      at++;
      return { event: { type: token } };
    }
    throw new Fail(
      token === undefined
        ? 'expression ends too early: expected an event type'
        : `unexpected "${token}": expected an event type or "("`,
      offset(),
    );
  };
  try {
    const join = parseOr();
    if (at < tokens.length) throw new Fail(`unexpected "${peek()}": join events with && and ||`, offset());
    return { ok: true, join };
  } catch (err) {
    if (err instanceof Fail) return { ok: false, message: err.message, offset: err.offset };
    throw err;
  }
}

function flatten(parts: JoinExpr[], kind: 'all' | 'any'): JoinExpr[] {
  return parts.flatMap((part) => (kind in part ? (part as Record<typeof kind, JoinExpr[]>)[kind] : [part]));
}

/** Converts the list form (already schema-checked) to a join: a list means all of its items. */
export function joinFromItems(items: readonly unknown[]): JoinExpr {
  return { all: items.map(joinFromItem) };
}

function joinFromItem(item: unknown): JoinExpr {
  if (typeof item === 'string') return { event: { type: item } };
  const record = item as { event?: string; match?: Pattern; any?: unknown[]; all?: unknown[] };
  if (record.any) return { any: record.any.map(joinFromItem) };
  if (record.all) return { all: record.all.map(joinFromItem) };
  const ref: EventRef = { type: record.event ?? '' };
  if (record.match) ref.match = record.match;
  return { event: ref };
}

/** Every event reference in a join, in order. */
export function joinLeaves(join: JoinExpr): EventRef[] {
  if ('event' in join) return [join.event];
  return ('all' in join ? join.all : join.any).flatMap(joinLeaves);
}

/** The join as a string, `a && (b || c)`, for docs and graphs. */
export function formatJoin(join: JoinExpr, nested = false): string {
  if ('event' in join) return join.event.match ? `${join.event.type}[match]` : join.event.type;
  const text = ('all' in join ? join.all : join.any)
    .map((part) => formatJoin(part, true))
    .join('all' in join ? ' && ' : ' || ');
  return nested ? `(${text})` : text;
}
