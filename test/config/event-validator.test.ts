import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createEventValidator, isJsonMediaType } from '../../src/config/event-validator.js';
import { fixtureConfig, scan } from '../ingest/ingest-fixture.js';

const validator = createEventValidator(fixtureConfig());

describe('EventValidator', () => {
  it('returns the engine event and its entity for a valid event', () => {
    const event = scan({
      subject: 's',
      time: '2026-01-01T00:00:00Z',
      dataschema: 'https://example.com/s.json',
      ext1: 'x',
    });
    const result = validator.validate(event, 'scanners');
    expect(result).toEqual({
      ok: true,
      entity: { type: 'team', key: 'red-foxes' },
      entities: [{ type: 'team', key: 'red-foxes' }],
      event: { ...event, ext1: undefined, specversion: '1.0' },
    });
    expect(result.ok && 'ext1' in result.event).toBe(false);
  });

  it('lists envelope, type and data problems together', () => {
    const result = validator.validate({
      specversion: '0.3',
      source: 'scanners',
      type: 'checkpoint.scanned',
      data: { teamId: 5 },
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.kind).toBe('envelope');
    expect(result.problems.map((p) => p.pointer).sort()).toEqual([
      '/data/checkpoint',
      '/data/teamId',
      '/id',
      '/specversion',
    ]);
  });

  it('refuses a source that differs from the authenticated one', () => {
    const result = validator.validate(scan({ source: 'simulator' }), 'scanners');
    expect(result).toMatchObject({ ok: false, kind: 'forbidden' });
  });

  it('accepts numeric correlation keys, refuses missing ones', () => {
    const config = fixtureConfig();
    config.events['checkpoint.scanned']!.schema = { type: 'object' };
    const loose = createEventValidator(config);
    expect(loose.validate(scan({ data: { teamId: 42 } }))).toMatchObject({ ok: true, entity: { key: '42' } });
    expect(loose.validate(scan({ data: {} }))).toMatchObject({
      ok: false,
      kind: 'routing',
      problems: [{ pointer: '/data/teamId' }],
    });
  });

  it('never throws on arbitrary input', () => {
    fc.assert(
      fc.property(fc.anything(), fc.option(fc.string(), { nil: undefined }), (candidate, source) => {
        const result = validator.validate(candidate, source);
        expect(typeof result.ok).toBe('boolean');
      }),
      { numRuns: 500 },
    );
  });

  it('recognises JSON media types', () => {
    expect(
      ['application/json', 'application/cloudevents+json; charset=utf-8', 'application/vnd.api+json'].every(
        isJsonMediaType,
      ),
    ).toBe(true);
    expect(['text/plain', 'application/jsonx', 'json'].some(isJsonMediaType)).toBe(false);
  });
});
