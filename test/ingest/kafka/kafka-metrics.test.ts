import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { compileConfigText } from '../../../src/config/index.js';
import { buildIngestServer } from '../../../src/ingest/ingest-server.js';
import { createIngestMetrics } from '../../../src/ingest/ingest-metrics.js';
import { kafkaLag, kafkaPaused, kafkaRecords } from '../../../src/ingest/kafka/kafka-metrics.js';
import { collectLiveCounts } from '../../../src/live-map/live-counts.js';

const text = `
name: metrics
entities: { order: { key: data.orderId } }
sources:
  shop: { kafka: { brokers: ["127.0.0.1:9"], topics: [orders], group: g, event: order.placed } }
events:
  order.placed: { source: shop, entity: order }
`;
const compiled = compileConfigText(text, 'metrics.yaml');
if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
const config = compiled.config;

describe('Kafka source metrics', () => {
  it('are on /metrics beside the ingest API’s, and on the live map’s source node', async () => {
    kafkaRecords.inc({ source: 'shop', topic: 'orders', outcome: 'delivered' }, 7);
    kafkaRecords.inc({ source: 'shop', topic: 'orders', outcome: 'poison' }, 1);
    kafkaLag.set({ source: 'shop', topic: 'orders', partition: '0' }, 12);
    kafkaPaused.set({ source: 'shop', topic: 'orders', partition: '0' }, 1);
    const delivery = { send: async () => [], publish: async () => [], flush: async () => undefined };
    const app = buildIngestServer({ config, delivery, logger: pino({ level: 'silent' }), env: {} });
    try {
      const metrics = await app.inject({ method: 'GET', url: '/metrics' });
      expect(metrics.body).toContain('hunt_kafka_records_total{source="shop",topic="orders",outcome="delivered"} 7');
      expect(metrics.body).toContain('hunt_kafka_consumer_lag{source="shop",topic="orders",partition="0"} 12');
      expect(metrics.body).toContain('hunt_ingest_requests_total');
    } finally {
      await app.close();
    }
    const counts = await collectLiveCounts({ config, metrics: createIngestMetrics() });
    expect(counts.nodes['source:shop']).toEqual({
      count: 7,
      label: '7 from Kafka · lag 12 · 1 poison · 1 paused',
      alert: true,
    });
    kafkaPaused.set({ source: 'shop', topic: 'orders', partition: '0' }, 0);
  });
});
