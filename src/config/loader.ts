/**
 * Loads a configuration document (YAML or JSON — JSON is YAML) keeping source positions, so every
 * later problem can say which line and column it is about.
 */
import { isCollection, isMap, isPair, isScalar, LineCounter, parseDocument } from 'yaml';
import type { Document, Node as YamlNode } from 'yaml';
import type { PathSegment } from './paths.js';
import type { ConfigProblem } from './problems.js';

export interface Position {
  line: number;
  column: number;
}

export interface LoadedDocument {
  file: string;
  /** The document as plain data; undefined when the text did not parse. */
  value: unknown;
  /** Syntax problems (bad YAML/JSON, duplicate keys). When any is an error, `value` is undefined. */
  problems: ConfigProblem[];
  /** Position of the node at `path` (or of its key, with `key: true`); falls back to the nearest ancestor. */
  locate(path: readonly PathSegment[], options?: { key?: boolean }): Position | undefined;
}

/** Parses YAML or JSON text; never throws. */
export function loadConfigText(text: string, file: string): LoadedDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true });
  const position = (offset: number): Position => {
    const { line, col } = lineCounter.linePos(offset);
    return { line, column: col };
  };
  const problems: ConfigProblem[] = [];
  for (const error of doc.errors) {
    const at = position(error.pos[0]);
    problems.push({ file, ...at, path: '(document)', message: syntaxMessage(error.message), severity: 'error' });
  }
  for (const warning of doc.warnings) {
    const at = position(warning.pos[0]);
    problems.push({ file, ...at, path: '(document)', message: syntaxMessage(warning.message), severity: 'warning' });
  }
  let value: unknown;
  if (!problems.some((p) => p.severity === 'error')) {
    try {
      // Aliases are rare in configs; a low cap stops "billion laughs" documents.
      value = doc.toJS({ maxAliasCount: 100 });
    } catch (err) {
      problems.push({ file, line: 1, column: 1, path: '(document)', message: String(err), severity: 'error' });
    }
  }
  return {
    file,
    value,
    problems,
    locate: (path, options) => {
      const node = findNode(doc, path, options?.key ?? false);
      return node?.range ? position(node.range[0]) : undefined;
    },
  };
}

/** The node at `path` (its key node when `key`), or the nearest ancestor that exists. */
function findNode(doc: Document, path: readonly PathSegment[], key: boolean): YamlNode | undefined {
  let node: unknown = doc.contents;
  let found = node as YamlNode | undefined;
  for (let i = 0; i < path.length; i++) {
    if (!isCollection(node)) break;
    const segment = path[i];
    const last = i === path.length - 1;
    if (isMap(node)) {
      const pair = node.items.find((item) => isPair(item) && keyText(item.key) === String(segment));
      if (!pair) break;
      if (last && key) return pair.key as YamlNode;
      // `name:` with nothing after it has a null value: point at the key then.
      node = pair.value ?? pair.key;
    } else {
      const item: unknown = typeof segment === 'number' ? node.items[segment] : undefined;
      if (item === undefined) break;
      node = item;
    }
    found = node as YamlNode;
  }
  return found;
}

function keyText(key: unknown): string | undefined {
  if (isScalar(key)) return String(key.value);
  return typeof key === 'string' ? key : undefined;
}

/** yaml's messages end with a code excerpt we do not need; keep the first line. */
function syntaxMessage(message: string): string {
  const first = message.split('\n')[0] ?? message;
  return `not valid YAML/JSON: ${first.replace(/ at line \d+, column \d+:?$/, '')}`;
}
