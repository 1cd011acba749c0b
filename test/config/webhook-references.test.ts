/** `hunt validate` on webhook sections: every problem is reported at once, with its path and a suggestion. */
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { compileConfigText } from '../../src/config/index.js';
import type { ConfigProblem } from '../../src/config/index.js';

function doc(webhook: Record<string, unknown>, sourceExtra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    name: 'webhooks',
    entities: { team: { key: 'data.teamId' } },
    sources: { pay: { webhook, ...sourceExtra }, app: { auth: { apiKey: { env: 'APP_KEY' } } } },
    events: {
      'payment.succeeded': {
        source: 'pay',
        entity: 'team',
        schema: { type: 'object', required: ['teamId', 'amount'] },
      },
      'other.thing': { source: 'app', entity: 'team' },
    },
  };
}

function problems(input: unknown): ConfigProblem[] {
  const result = compileConfigText(stringify(input), 'webhooks.yaml');
  return result.ok ? result.warnings : result.problems;
}

const stripe = { preset: 'stripe', secretEnv: 'STRIPE_SECRET' };

describe('webhook sources in the configuration', () => {
  it('accepts a preset with a mapping, and compiles it with its defaults', () => {
    const input = doc({
      ...stripe,
      events: {
        'payment_intent.succeeded': {
          event: 'payment.succeeded',
          data: "{ 'teamId': body.data.object.metadata.teamId, 'amount': body.data.object.amount }",
        },
      },
    });
    const result = compileConfigText(stringify(input), 'webhooks.yaml');
    if (!result.ok) throw new Error(JSON.stringify(result.problems));
    expect(result.warnings).toEqual([]);
    expect(result.config.sources.pay).toEqual({
      name: 'pay',
      auth: { type: 'webhookOnly' },
      webhook: {
        preset: 'stripe',
        secretEnv: 'STRIPE_SECRET',
        unmapped: 'ignore',
        events: {
          'payment_intent.succeeded': input.sources && expect.objectContaining({ event: 'payment.succeeded' }),
        },
      },
    });
  });

  it('reports an unknown preset, a mapping that does not compile, an undeclared type and a missing sender', () => {
    const found = problems(
      doc({
        preset: 'stipe',
        secretEnv: 'STRIPE_SECRET',
        id: 'body.id +',
        events: {
          a: { event: 'payment.succeded' },
          b: 'other.thing',
          c: { event: 'payment.succeeded', data: "{ 'teamId': request.team, 'amount': 1 }" },
        },
      }),
    );
    const at = (path: string) => found.filter((p) => p.path === path).map((p) => p.message);
    expect(at('sources.pay.webhook.preset')[0]).toMatch(/github.*stripe/);
    expect(at('sources.pay.webhook.id')[0]).toMatch(/not valid CEL/);
    expect(at('sources.pay.webhook.events.a.event')[0]).toMatch(/"payment.succeded" is not declared under events/);
    expect(found.find((p) => p.path === 'sources.pay.webhook.events.a.event')?.suggestion).toBe('payment.succeeded');
    expect(at('sources.pay.webhook.events.b')[0]).toMatch(/does not list source "pay"/);
    expect(at('sources.pay.webhook.events.c.data')[0]).toMatch(/unknown variable "request"/);
  });

  it('each: data and subject may read item and index; without each they may not; each must be CEL', () => {
    const data = "{ 'teamId': item.team, 'amount': index }";
    expect(
      problems(doc({ ...stripe, events: { 'charge.x': { event: 'payment.succeeded', each: 'body.lines', data } } })),
    ).toEqual([]);
    const found = problems(
      doc({
        ...stripe,
        events: {
          'charge.y': { event: 'payment.succeeded', data },
          'charge.z': { event: 'payment.succeeded', each: 'body.lines[', data, if: 'item.ok' },
        },
      }),
    );
    expect(found.map((p) => [p.path, p.message])).toEqual(
      expect.arrayContaining([
        [
          'sources.pay.webhook.events["charge.y"].data',
          expect.stringMatching(/reads unknown variable "item".*\(`item` and `index` need `each`\)/),
        ],
        ['sources.pay.webhook.events["charge.z"].each', expect.stringMatching(/is not valid CEL/)],
        // `if` is decided once per request, before the list is read.
        ['sources.pay.webhook.events["charge.z"].if', expect.stringMatching(/reads unknown variable "item"/)],
      ]),
    );
  });

  it('reports a data map that can never hold what the event schema requires', () => {
    const found = problems(
      doc({ ...stripe, events: { x: { event: 'payment.succeeded', data: "{ 'teamId': body.t }" } } }),
    );
    expect(found).toEqual([
      expect.objectContaining({
        path: 'sources.pay.webhook.events.x.data',
        message: expect.stringMatching(/never holds "amount"/),
      }),
    ]);
  });

  it('generic needs signature; signature and url belong to their presets; a source needs auth or webhook', () => {
    const generic = problems(doc({ preset: 'generic', secretEnv: 'S', events: {} }));
    expect(generic.map((p) => p.path)).toContain('sources.pay.webhook.preset');
    const misplaced = problems(
      doc({ ...stripe, url: 'https://example.com/x', signature: { header: 'x-sig' }, events: {} }),
    ).map((p) => p.path);
    expect(misplaced).toEqual(expect.arrayContaining(['sources.pay.webhook.signature', 'sources.pay.webhook.url']));
    const neither = problems({ ...doc(stripe), sources: { pay: { rateLimit: 5 }, app: { auth: 'none' } } });
    expect(neither.map((p) => [p.path, p.message])).toContainEqual([
      'sources.pay.auth',
      expect.stringMatching(/needs `auth`.*`webhook`/),
    ]);
  });
});
