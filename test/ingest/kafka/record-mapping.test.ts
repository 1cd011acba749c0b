import { describe, expect, it } from 'vitest';
import type { CompiledKafkaSource } from '../../../src/config/compiled.js';
import { compileConfigText } from '../../../src/config/index.js';
import { mapKafkaRecord, type KafkaRecord } from '../../../src/ingest/kafka/record-mapping.js';

const base: CompiledKafkaSource = {
  brokers: ['127.0.0.1:9092'],
  topics: ['orders'],
  group: 'g',
  preset: 'json',
  fromBeginning: true,
};
const record = (over: Partial<KafkaRecord> = {}): KafkaRecord => ({
  topic: 'orders',
  partition: 3,
  offset: '41',
  key: Buffer.from('o-1'),
  value: Buffer.from(JSON.stringify({ orderId: 'o-1', total: 12 })),
  headers: {},
  timestamp: '1764590400000',
  ...over,
});

describe('json preset', () => {
  it('takes the value as data, the record time and topic/partition/offset as id', () => {
    expect(mapKafkaRecord('shop', { ...base, event: 'order.placed' }, record())).toEqual({
      kind: 'event',
      candidate: {
        specversion: '1.0',
        id: 'orders/3/41',
        source: 'shop',
        type: 'order.placed',
        time: '2025-12-01T12:00:00.000Z',
        data: { orderId: 'o-1', total: 12 },
      },
    });
  });

  it('maps id, type, subject, time and data with CEL over key, headers, value, topic, partition, offset', () => {
    const kafka = {
      ...base,
      type: "headers['event-type']",
      id: "value.orderId + '@' + offset",
      subject: 'key',
      time: 'value.at',
      data: "{ 'order': value.orderId, 'p': partition, 't': topic }",
    };
    const out = mapKafkaRecord(
      'shop',
      kafka,
      record({
        headers: { 'Event-Type': Buffer.from('order.paid') },
        value: Buffer.from(JSON.stringify({ orderId: 'o-9', at: 1764590460 })),
      }),
    );
    expect(out).toEqual({
      kind: 'event',
      candidate: {
        specversion: '1.0',
        id: 'o-9@41',
        source: 'shop',
        type: 'order.paid',
        subject: 'o-1',
        time: '2025-12-01T12:01:00.000Z',
        data: { order: 'o-9', p: 3, t: 'orders' },
      },
    });
  });

  it('calls a value that is not JSON, a tombstone, or a failing expression poison, with the reason', () => {
    const kafka = { ...base, event: 'order.placed' };
    expect(mapKafkaRecord('shop', kafka, record({ value: Buffer.from('{oops') }))).toMatchObject({
      kind: 'poison',
      reason: expect.stringMatching(/^the value is not JSON/),
    });
    expect(mapKafkaRecord('shop', kafka, record({ value: null }))).toMatchObject({
      kind: 'poison',
      reason: expect.stringContaining('tombstone'),
    });
    expect(mapKafkaRecord('shop', { ...kafka, id: 'value.missing.deeper' }, record())).toMatchObject({
      kind: 'poison',
      reason: expect.stringContaining('kafka id'),
    });
    expect(mapKafkaRecord('shop', { ...base, type: 'value.total' }, record())).toMatchObject({ kind: 'event' });
    expect(mapKafkaRecord('shop', { ...base, type: 'value.none' }, record())).toMatchObject({ kind: 'poison' });
  });
});

describe('cloudevents preset (Kafka protocol binding)', () => {
  const kafka = { ...base, preset: 'cloudevents' as const };

  it('binary mode: attributes from ce_ headers, the value is the data', () => {
    const out = mapKafkaRecord(
      'shop',
      kafka,
      record({
        headers: {
          ce_specversion: Buffer.from('1.0'),
          ce_id: Buffer.from('evt-7'),
          ce_type: Buffer.from('order.placed'),
          ce_source: Buffer.from('/shop/eu'),
          ce_time: Buffer.from('2026-01-02T03:04:05Z'),
          ce_subject: Buffer.from('o-1'),
          'content-type': Buffer.from('application/json'),
        },
      }),
    );
    expect(out).toEqual({
      kind: 'event',
      candidate: {
        specversion: '1.0',
        id: 'evt-7',
        source: 'shop',
        type: 'order.placed',
        subject: 'o-1',
        time: '2026-01-02T03:04:05Z',
        data: { orderId: 'o-1', total: 12 },
      },
    });
  });

  it('structured mode: the value is the whole event', () => {
    const event = { specversion: '1.0', id: 'evt-8', source: '/x', type: 'order.placed', data: { orderId: 'o-2' } };
    const out = mapKafkaRecord(
      'shop',
      kafka,
      record({
        headers: { 'content-type': Buffer.from('application/cloudevents+json; charset=UTF-8') },
        value: Buffer.from(JSON.stringify(event)),
      }),
    );
    expect(out).toMatchObject({
      kind: 'event',
      candidate: { id: 'evt-8', source: 'shop', type: 'order.placed', data: { orderId: 'o-2' } },
    });
  });

  it('a record that is no CloudEvent is poison', () => {
    expect(mapKafkaRecord('shop', kafka, record())).toMatchObject({
      kind: 'poison',
      reason: expect.stringContaining('not a CloudEvent'),
    });
    expect(
      mapKafkaRecord(
        'shop',
        kafka,
        record({ headers: { 'content-type': Buffer.from('application/cloudevents+json') }, value: Buffer.from('[1]') }),
      ),
    ).toMatchObject({ kind: 'poison', reason: expect.stringContaining('not a JSON object') });
  });
});

describe('kafka section in the configuration', () => {
  const yaml = (kafka: string) => `
name: t
entities: { order: { key: data.orderId } }
sources:
  shop:
    kafka:
${kafka}
events:
  order.placed: { source: shop, entity: order }
`;

  it('compiles with its defaults', () => {
    const out = compileConfigText(
      yaml('      { brokers: ["127.0.0.1:9092"], topics: [orders], group: hunt, event: order.placed }'),
      'c.yaml',
    );
    expect(out.ok && out.config.sources.shop?.kafka).toEqual({
      brokers: ['127.0.0.1:9092'],
      topics: ['orders'],
      group: 'hunt',
      event: 'order.placed',
      preset: 'json',
      fromBeginning: true,
    });
  });

  it('says what is missing, with the line', () => {
    const out = compileConfigText(yaml('      { topics: [orders], group: hunt, tls: { ca: X } }'), 'c.yaml');
    expect(out.ok).toBe(false);
    const messages = out.ok ? [] : out.problems.map((p) => `${p.line}: ${p.message}`);
    expect(messages.join('\n')).toMatch(/7: .*unknown field "ca"/);
    expect(messages.join('\n')).toMatch(/needs `brokers` or `brokersEnv`/);
    expect(messages.join('\n')).toMatch(/json preset needs `event`/);
  });

  it('checks expressions and the event type at load, with the line', () => {
    const out = compileConfigText(
      yaml('      { brokers: ["b:9092"], topics: [o], group: g, event: order.paid, id: "body.id", data: "value +" }'),
      'c.yaml',
    );
    const messages = out.ok ? [] : out.problems.map((p) => `${p.line}: ${p.message}`);
    expect(messages.join('\n')).toMatch(/7: kafka id reads unknown variable "body"/);
    expect(messages.join('\n')).toMatch(/7: kafka data "value \+" is not valid CEL/);
    expect(messages.join('\n')).toMatch(/7: unknown event type "order.paid"/);
  });
});
