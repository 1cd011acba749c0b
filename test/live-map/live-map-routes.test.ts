/** The live map without Temporal: the page is self-contained and the counts follow ingest and call metrics. */
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { EventDeliverer } from '../../src/client/delivery.js';
import { loadCompiledConfig } from '../../src/config/index.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import type { LiveCounts } from '../../src/live-map/live-counts.js';
import { ruleFiredQuery, visibilityString } from '../../src/live-map/live-counts.js';
import { webUiListUrl } from '../../src/live-map/live-map-page.js';
import { recordConnectorCall } from '../../src/metrics/engine-metrics.js';

const config = await loadCompiledConfig('examples/treasure-hunt/hunt.yaml');
const delivery: EventDeliverer = {
  send: async () => undefined,
  publish: async () => [],
  flush: async () => undefined,
} as unknown as EventDeliverer;
const env = {
  PAYMENTS_WEBHOOK_SECRET: 'whsec_' + Buffer.from('x'.repeat(24)).toString('base64'),
  SHOP_WEBHOOK_SECRET: 'shop-secret',
  SCANNER_API_KEY: 'k',
  GAME_SIGNING_SECRET: 'g',
  ADMIN_API_KEY: 'a',
};

function server(webUiUrl?: string) {
  return buildIngestServer({
    config,
    delivery,
    logger: pino({ level: 'silent' }),
    env,
    ...(webUiUrl && { webUiUrl }),
  });
}

describe('GET /', () => {
  it('serves one self-contained page with the graph, every rule in words and Web UI links', async () => {
    const app = server('http://localhost:8233');
    const response = await app.inject({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toContain('text/html');
    const html = response.body;
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/); // nothing fetched from elsewhere
    expect(html).toContain('data-id="rule:pay-winner"');
    expect(html).toContain('<html lang="en">');
    const rules = JSON.parse(/<script type="application\/json" id="rules-data">(.*?)<\/script>/s.exec(html)![1]!);
    expect(rules).toHaveLength(config.rules.length);
    const payWinner = rules.find((r: { id: string }) => r.id === 'pay-winner');
    expect(payWinner.words).toMatch(/^When team.finished arrives/);
    expect(payWinner.link).toBe(
      'http://localhost:8233/namespaces/default/workflows?query=HuntRulesFired%20%3D%20%22pay-winner%22',
    );
    await app.close();
  });
});

describe('GET /live-map/counts', () => {
  it('counts accepted events per type and source, and connector attempts; says why visibility is missing', async () => {
    const app = server();
    const before = (await app.inject({ method: 'GET', url: '/live-map/counts' })).json<LiveCounts>();
    expect(before.config).toEqual({ name: config.name, version: config.version });
    expect(before.temporal).toBe('no Temporal client configured');
    expect(before.totals.rulesFired).toBeNull();

    const event = {
      specversion: '1.0',
      id: 'e-1',
      source: 'scanners',
      type: 'checkpoint.scanned',
      data: { teamId: 't1', checkpoint: 'cp-1' },
    };
    const sent = await app.inject({
      method: 'POST',
      url: '/events',
      headers: { 'content-type': 'application/cloudevents+json', 'x-api-key': 'k' },
      payload: JSON.stringify(event),
    });
    expect(sent.statusCode).toBe(202);
    recordConnectorCall('mailer', 'failed');
    recordConnectorCall('mailer', 'ok');
    // Snapshots are reused for a second (many open pages, one set of queries).
    await new Promise((resolve) => setTimeout(resolve, 1100));

    const after = (await app.inject({ method: 'GET', url: '/live-map/counts' })).json<LiveCounts>();
    expect(after.totals.eventsIn).toBe(1);
    expect(after.nodes['event:checkpoint.scanned']).toEqual({ count: 1, label: '1 in' });
    expect(after.nodes['source:scanners']).toEqual({ count: 1, label: '1 sent' });
    expect(after.totals.callsFailed - before.totals.callsFailed).toBe(1);
    expect(after.nodes['connector:mailer']?.alert).toBe(true);
    expect((await app.inject({ method: 'GET', url: '/metrics' })).body).toContain(
      'hunt_connector_calls_total{connector="mailer",outcome="failed"}',
    );
    await app.close();
  });
});

describe('visibility queries', () => {
  it('quote rule ids safely', () => {
    expect(ruleFiredQuery('pay-winner')).toBe('HuntRulesFired = "pay-winner"');
    expect(visibilityString('a"b\\c')).toBe('"a\\"b\\\\c"');
    expect(webUiListUrl('http://ui:8080/', 'my ns', 'X = "y"')).toBe(
      'http://ui:8080/namespaces/my%20ns/workflows?query=X%20%3D%20%22y%22',
    );
  });
});
