import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parse, stringify } from 'yaml';
import { compileConfigText } from '../../src/config/index.js';

const reference = readFileSync('examples/treasure-hunt/hunt.yaml', 'utf8');
const referenceDoc = parse(reference) as unknown;

/** Every leaf path of a JSON value. */
function paths(value: unknown, prefix: Array<string | number> = []): Array<Array<string | number>> {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([k, v]) => paths(v, [...prefix, k]))];
}
const referencePaths = paths(referenceDoc).filter((p) => p.length > 0);

function mutate(doc: unknown, path: Array<string | number>, replacement: unknown): unknown {
  const copy = structuredClone(doc) as Record<string | number, unknown>;
  let node = copy;
  for (const segment of path.slice(0, -1)) node = node[segment] as Record<string | number, unknown>;
  const last = path[path.length - 1]!;
  if (replacement === undefined) delete node[last];
  else node[last] = replacement;
  return copy;
}

function assertWellFormed(text: string): ReturnType<typeof compileConfigText> {
  const result = compileConfigText(text, 'fuzz.yaml');
  if (result.ok) return result;
  expect(result.problems.length).toBeGreaterThan(0);
  for (const problem of result.problems) {
    expect(typeof problem.path).toBe('string');
    expect(problem.path.length).toBeGreaterThan(0);
    expect(problem.message.length).toBeGreaterThan(0);
    expect(problem.file).toBe('fuzz.yaml');
    expect(problem.line === undefined || problem.line >= 1).toBe(true);
  }
  return result;
}

describe('loader and compiler on malformed input', () => {
  it('never throws on arbitrary text; problems always carry a path', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        assertWellFormed(text);
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on arbitrary JSON documents', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (value) => {
        assertWellFormed(JSON.stringify(value));
      }),
      { numRuns: 1000 },
    );
  });

  it('never throws on the reference config with one value replaced or removed; located problems when it parsed', () => {
    const replacement = fc.oneof(
      fc.constant(undefined),
      fc.jsonValue({ maxDepth: 3 }),
      fc.string(),
      fc.constantFrom('1h', 'env.X', '{{ env.X }}', '{{ ) }}', 'none'),
    );
    fc.assert(
      fc.property(fc.constantFrom(...referencePaths), replacement, (path, value) => {
        const result = assertWellFormed(stringify(mutate(referenceDoc, path, value)));
        if (!result.ok) for (const problem of result.problems) expect(problem.line).toBeGreaterThanOrEqual(1);
      }),
      { numRuns: 300 },
    );
  }, 180_000);

  it('never throws on truncated or spliced reference text', () => {
    fc.assert(
      fc.property(fc.nat(reference.length), fc.nat(reference.length), fc.string({ maxLength: 20 }), (a, b, insert) => {
        const [from, to] = a <= b ? [a, b] : [b, a];
        assertWellFormed(reference.slice(0, from) + insert + reference.slice(to));
      }),
      { numRuns: 300 },
    );
  }, 180_000);
});
