/** Static types for CEL (issue 16): `validate` type-checks conditions and placeholders against schemas and state. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileConfigText } from '../../src/config/index.js';

function incidents(rule: Record<string, unknown>, schemaExtra: Record<string, unknown> = {}) {
  return {
    name: 'incidents',
    entities: { incident: { key: 'data.incidentId', initial: { resolved: false, alerts: 0, notes: [] } } },
    sources: { pager: { auth: { apiKey: { env: 'PAGER_KEY' } } } },
    events: {
      'incident.raised': {
        source: 'pager',
        entity: 'incident',
        schema: {
          type: 'object',
          required: ['incidentId', 'severity'],
          properties: { incidentId: { type: 'string' }, severity: { type: 'integer' }, title: { type: 'string' } },
          ...schemaExtra,
        },
        reduce: [{ increment: { alerts: 1 } }, { set: { title: '{{ data.title }}' } }],
      },
    },
    connectors: { pager: { http: { url: 'http://pager.example' } } },
    rules: [{ id: 'page', on: 'incident.raised', then: [{ call: 'pager' }], ...rule }],
  };
}

function problemsOf(doc: unknown) {
  const result = compileConfigText(stringify(doc), 'incidents.yaml');
  return result.ok ? [] : result.problems;
}

describe('CEL type checks at validate', () => {
  it('reports comparing an integer field with a string, with file, line and column', () => {
    const [problem, ...rest] = problemsOf(incidents({ if: 'data.severity <= "2"' }));
    expect(rest).toEqual([]);
    expect(problem).toMatchObject({ file: 'incidents.yaml', path: 'rules[0].if', severity: 'error' });
    expect(problem?.line).toEqual(expect.any(Number));
    expect(problem?.column).toEqual(expect.any(Number));
    expect(problem?.message).toContain('no such overload: double <= string');
  });

  it('accepts what is well typed, including int literals against JSON numbers and event.data', () => {
    for (const condition of [
      'data.severity <= 2',
      'event.data.severity > 1.5 && size(data.incidentId) > 0',
      'state.alerts + 1 > 3 && !state.resolved',
      'has(data.title) && data.title.startsWith("db")',
      'entity.key == data.incidentId',
    ])
      expect(problemsOf(incidents({ if: condition })), condition).toEqual([]);
  });

  it('checks placeholders in actions and reducers too', () => {
    const [problem] = problemsOf(
      incidents({ then: [{ call: 'pager', body: { level: '{{ data.severity + "!" }}' } }] }),
    );
    expect(problem).toMatchObject({ path: 'rules[0].then[0]' });
    expect(problem?.message).toContain('no such overload');
  });

  it('types state from initial and what reducers write', () => {
    expect(problemsOf(incidents({ if: 'state.resolved == "yes"' }))[0]?.message).toContain('bool == string');
    expect(problemsOf(incidents({ if: 'state.alerts > "3"' }))[0]?.message).toContain('double > string');
  });

  it('keeps undeclared fields allowed where the schema allows additional properties, and only there', () => {
    expect(problemsOf(incidents({ if: 'data.region == "eu"' }))).toEqual([]);
    const closed = problemsOf(incidents({ if: 'data.region == "eu"' }, { additionalProperties: false }));
    expect(closed[0]?.message).toContain('region');
  });

  it('never rejects a comparison of a declared number field with any number literal (property)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('<', '<=', '>', '>=', '==', '!='),
        fc.oneof(
          fc.integer({ min: -1000, max: 1000 }).map(String),
          fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e6, max: 1e6 }).map((d) => d.toFixed(2)),
        ),
        (op, literal) => {
          expect(problemsOf(incidents({ if: `data.severity ${op} ${literal}` }))).toEqual([]);
        },
      ),
      { numRuns: 30 },
    );
  });
});
