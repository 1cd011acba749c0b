import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Json } from '../../src/config/compiled.js';
import { TemplateError, renderTemplate } from '../../src/rules/templates.js';

const scope = { state: { n: 3, list: [1, 2] }, entity: { key: 'red' }, data: { name: 'Ann' } };

describe('renderTemplate', () => {
  it('a string that is exactly one placeholder yields the raw value', () => {
    expect(renderTemplate('{{ state.n }}', scope)).toBe(3);
    expect(renderTemplate('{{state.list}}', scope)).toEqual([1, 2]);
    expect(renderTemplate({ a: ['{{ size(state.list) + 1 }}'] }, scope)).toEqual({ a: [3] });
  });

  it('interpolates placeholders inside text', () => {
    expect(renderTemplate('Hi {{ data.name }}, team {{ entity.key }} has {{ state.list }}', scope)).toBe(
      'Hi Ann, team red has [1,2]',
    );
  });

  it('keeps placeholders of kept roots verbatim', () => {
    const template = { url: '{{ env.URL }}', auth: 'Bearer {{ env.TOKEN }} for {{ entity.key }}' };
    expect(renderTemplate(template, scope, { keep: ['env'] })).toEqual({
      url: '{{ env.URL }}',
      auth: 'Bearer {{ env.TOKEN }} for red',
    });
  });

  it('throws a TemplateError saying where', () => {
    let error: unknown;
    try {
      renderTemplate({ body: ['{{ state.nope }}'] }, scope, { where: 'rule r then[0]' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(TemplateError);
    expect((error as TemplateError).code).toBe('TEMPLATE_FAILED');
    expect((error as TemplateError).message).toContain('rule r then[0].body[0]');
  });

  it('keeps a `__proto__` key as data (found by the property below)', () => {
    const template = JSON.parse('{"__proto__": 0, "a": "{{ 1 + 1 }}"}') as Json;
    const rendered = renderTemplate(template, scope) as Record<string, Json>;
    expect(Object.keys(rendered)).toEqual(['__proto__', 'a']);
    expect(Object.getPrototypeOf(rendered)).toBe(Object.prototype);
    expect(rendered.a).toBe(2);
  });

  it('a template without placeholders renders to itself', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const template = JSON.parse(JSON.stringify(value).replaceAll('{{', '{ {')) as Json;
        expect(renderTemplate(template, scope)).toEqual(template);
      }),
    );
  });

  it('any JSON value placed as {{ x }} comes back equal', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const x = JSON.parse(JSON.stringify(value)) as Json;
        expect(renderTemplate('{{ x }}', { x })).toEqual(x);
      }),
    );
  });
});
