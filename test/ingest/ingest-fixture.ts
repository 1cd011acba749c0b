/**
 * Shared setup for the ingest tests: the fixture configuration, its secrets, signing helpers and a
 * fake deliverer (so the HTTP tests are isolated unit tests: no Temporal behind them).
 */
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import pino from 'pino';
import { Webhook } from 'standardwebhooks';
import type { EventDeliverer, SendReceipt } from '../../src/client/delivery.js';
import { EngineUnavailableError } from '../../src/client/engine-unavailable-error.js';
import type { CompiledConfig } from '../../src/config/compiled.js';
import { compileConfigText } from '../../src/config/index.js';
import { buildIngestServer } from '../../src/ingest/ingest-server.js';
import type { IngestServerOptions } from '../../src/ingest/ingest-server.js';
import { entityWorkflowId, routeEvent } from '../../src/rules/routing.js';
import type { DeliveryResult, EngineEvent } from '../../src/rules/types.js';

/** Compiles a YAML fixture under test/ingest/fixtures/. */
export function fixtureConfig(name = 'ingest-hunt.yaml'): CompiledConfig {
  const file = new URL(`./fixtures/${name}`, import.meta.url);
  const result = compileConfigText(readFileSync(file, 'utf8'), file.pathname);
  if (!result.ok) throw new Error(`fixture ${name} does not compile: ${JSON.stringify(result.problems)}`);
  return result.config;
}

export const PAYMENTS_SECRET = `whsec_${Buffer.from('payments-test-secret-0123456789ab').toString('base64')}`;
export const SCANNER_KEY = 'scanner-key-123';
export const GAME_SECRET = 'game-signing-secret';
export const ENV = { PAYMENTS_SECRET, SCANNER_KEY, GAME_SECRET };

/** Records what would have been delivered; can be told to behave as if Temporal were down. */
export class FakeDeliverer implements EventDeliverer {
  readonly sent: EngineEvent[] = [];
  readonly published: EngineEvent[] = [];
  unavailable = false;
  constructor(private readonly config: CompiledConfig) {}

  async send(events: EngineEvent[]): Promise<SendReceipt[]> {
    if (this.unavailable) throw new EngineUnavailableError('Temporal is down (fake)', 7);
    this.sent.push(...events);
    return events.map((event) => {
      const route = routeEvent(this.config, event);
      if (!route.ok) throw new Error(route.reason);
      return { eventId: event.id, entity: route.entity, workflowId: entityWorkflowId(route.entity) };
    });
  }

  async publish(events: EngineEvent[]): Promise<DeliveryResult[]> {
    if (this.unavailable) throw new EngineUnavailableError('Temporal is down (fake)', 7);
    this.published.push(...events);
    return events.map((event) => ({
      eventId: event.id,
      source: event.source,
      status: 'accepted',
      fired: ['note-payment'],
    }));
  }

  async flush(): Promise<void> {}

  get delivered(): EngineEvent[] {
    return [...this.sent, ...this.published];
  }
}

/** A server over the fixture config and a fake deliverer. */
export function testServer(overrides: Partial<IngestServerOptions> = {}) {
  const config = overrides.config ?? fixtureConfig();
  const delivery = new FakeDeliverer(config);
  const app = buildIngestServer({
    config,
    delivery,
    logger: pino({ level: 'silent' }),
    env: ENV,
    ...overrides,
  });
  return { app, delivery, config };
}

let counter = 0;
/** A fresh event id. */
export const nextId = (prefix = 'evt') => `${prefix}-${++counter}`;

export function scan(overrides: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    id: nextId(),
    source: 'scanners',
    type: 'checkpoint.scanned',
    data: { teamId: 'red-foxes', checkpoint: 'cp-1' },
    ...overrides,
  };
}

export function payment(overrides: Record<string, unknown> = {}) {
  return {
    specversion: '1.0',
    id: nextId('pay'),
    source: 'payments',
    type: 'payment.succeeded',
    time: '2026-05-01T10:00:00Z',
    data: { teamId: 'red-foxes', amount: 40 },
    ...overrides,
  };
}

/** Standard Webhooks headers for a body. */
export function webhookHeaders(body: string, options: { id?: string; at?: Date; secret?: string } = {}) {
  const id = options.id ?? nextId('msg');
  const at = options.at ?? new Date();
  const signature = new Webhook(options.secret ?? PAYMENTS_SECRET).sign(id, at, body);
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(at.getTime() / 1000)),
    'webhook-signature': signature,
  };
}

/** GitHub-style X-Hub-Signature-256 header for a body. */
export function hubSignature(body: string | Buffer, secret = GAME_SECRET) {
  return { 'x-hub-signature-256': `sha256=${createHmac('sha256', secret).update(body).digest('hex')}` };
}

export const CE_JSON = { 'content-type': 'application/cloudevents+json' };
export const CE_BATCH = { 'content-type': 'application/cloudevents-batch+json' };
