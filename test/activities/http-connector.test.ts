import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { Webhook } from 'standardwebhooks';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createHttpConnectorActivities,
  type CallInput,
  type HttpConnectorDeps,
} from '../../activities/http-connector.js';
import {
  captureLogger,
  makeCallInput,
  makeConnector,
  mockActivityEnvironment,
  runActivity,
  startLocalServer,
  type LocalServer,
} from './connector-fixtures.js';

const servers: LocalServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});

async function serve(handler: Parameters<typeof startLocalServer>[0]): Promise<LocalServer> {
  const server = await startLocalServer(handler);
  servers.push(server);
  return server;
}

/** Runs callConnector once in a mock activity context (attempt `attempt`). */
function call(input: CallInput, deps: Partial<HttpConnectorDeps> = {}, attempt = 1) {
  const { logger } = captureLogger();
  const activities = createHttpConnectorActivities({ logger, env: {}, ...deps });
  return runActivity(mockActivityEnvironment({ attempt }), activities.callConnector, input);
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(err)}`);
  return err;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('callConnector: success', () => {
  it('sends method, joined URL, merged headers and the JSON body, and records status, headers and body', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(202, { 'content-type': 'application/json', 'x-request-id': 'r-1', 'x-other': 'no' });
      res.end('{"messageId":"m-1"}');
    });
    const connector = makeConnector({
      http: { url: `${server.url}/api/`, headers: { 'X-Team': 'hunt', 'X-Override': 'connector' } },
      recordHeaders: ['X-Request-Id'],
    });
    const result = await call(
      makeCallInput(connector, {
        path: '/send',
        headers: { 'x-override': 'action' },
        body: { template: 'welcome', team: 'red' },
      }),
      {},
      3,
    );

    expect(result).toMatchObject({
      status: 202,
      headers: { 'x-request-id': 'r-1' },
      body: '{"messageId":"m-1"}',
      bodyTruncated: false,
      attempt: 3,
    });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    const [seen] = server.requests;
    expect(seen).toMatchObject({ method: 'POST', url: '/api/send', body: '{"template":"welcome","team":"red"}' });
    expect(seen?.headers).toMatchObject({
      'x-team': 'hunt',
      'x-override': 'action',
      'content-type': 'application/json',
    });
  });

  it('truncates the recorded body to recordBodyBytes without splitting a character', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(200);
      res.end('ééééé'); // 10 bytes
    });
    const connector = makeConnector({ http: { url: server.url }, recordBodyBytes: 5 });
    const result = await call(makeCallInput(connector));
    expect(result.body).toBe('éé');
    expect(result.bodyTruncated).toBe(true);
  });

  it('records no body when recordBodyBytes is 0', async () => {
    const server = await serve((_req, res) => res.end('secret-ish payload'));
    const result = await call(makeCallInput(makeConnector({ http: { url: server.url }, recordBodyBytes: 0 })));
    expect(result.body).toBeUndefined();
    expect(result.status).toBe(200);
  });

  it('counts the statuses listed in successStatuses as success, and others as failure', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(409);
      res.end('already exists');
    });
    const accepting = makeConnector({
      http: {
        url: server.url,
        successStatuses: [
          [200, 299],
          [409, 409],
        ],
      },
    });
    expect((await call(makeCallInput(accepting))).status).toBe(409);

    const strict = makeConnector({ http: { url: server.url, successStatuses: [[200, 200]] } });
    const failure = await failureOf(call(makeCallInput(strict)));
    expect(failure.type).toBe('HttpStatusError');
    expect(failure.nonRetryable).toBe(true);
  });

  it('does not count a 202 as success when successStatuses is [[200, 200]]', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(202);
      res.end();
    });
    const failure = await failureOf(
      call(makeCallInput(makeConnector({ http: { url: server.url, successStatuses: [[200, 200]] } }))),
    );
    expect(failure.details?.[0]).toMatchObject({ status: 202 });
  });
});

describe('callConnector: failure classification', () => {
  it.each([500, 502, 503, 408, 429])(
    'a %i answer is a retryable HttpStatusError with status and attempt',
    async (status) => {
      const server = await serve((_req, res) => {
        res.writeHead(status);
        res.end('try later');
      });
      const failure = await failureOf(call(makeCallInput(makeConnector({ http: { url: server.url } })), {}, 2));
      expect(failure.type).toBe('HttpStatusError');
      expect(failure.nonRetryable).toBe(false);
      expect(failure.nextRetryDelay).toBeUndefined();
      expect(failure.details).toEqual([{ status, attempt: 2, body: 'try later' }]);
    },
  );

  it('honours Retry-After in seconds with nextRetryDelay', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(429, { 'retry-after': '7' });
      res.end();
    });
    const failure = await failureOf(call(makeCallInput(makeConnector({ http: { url: server.url } }))));
    expect(failure.nonRetryable).toBe(false);
    expect(failure.nextRetryDelay).toBe(7000);
  });

  it('honours Retry-After as an HTTP date', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(503, { 'retry-after': new Date(Date.now() + 30_000).toUTCString() });
      res.end();
    });
    const failure = await failureOf(call(makeCallInput(makeConnector({ http: { url: server.url } }))));
    // HTTP dates have one-second resolution.
    expect(failure.nextRetryDelay).toBeGreaterThan(28_000);
    expect(failure.nextRetryDelay).toBeLessThanOrEqual(30_000);
  });

  it('makes other 4xx answers non-retryable, with the status and a truncated body', async () => {
    const server = await serve((_req, res) => {
      res.writeHead(422, { 'retry-after': '5' });
      res.end(`{"error":"invalid team"}${'x'.repeat(5000)}`);
    });
    const failure = await failureOf(
      call(makeCallInput(makeConnector({ http: { url: server.url }, recordBodyBytes: 4096 }))),
    );
    expect(failure.type).toBe('HttpStatusError');
    expect(failure.nonRetryable).toBe(true);
    const details = failure.details?.[0] as { status: number; attempt: number; body: string };
    expect(details.status).toBe(422);
    expect(details.attempt).toBe(1);
    expect(details.body.startsWith('{"error":"invalid team"}')).toBe(true);
    expect(details.body.length).toBe(1024);
    expect(failure.message).toContain('422');
    expect(failure.message).toContain('mailer');
  });

  it('turns a call slower than timeoutMs into a retryable HttpTimeout', async () => {
    const server = await serve(async (_req, res) => {
      await sleep(1_000);
      res.end('too late');
    });
    const started = Date.now();
    const failure = await failureOf(call(makeCallInput(makeConnector({ http: { url: server.url }, timeoutMs: 150 }))));
    expect(Date.now() - started).toBeLessThan(900);
    expect(failure.type).toBe('HttpTimeout');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.details).toEqual([{ attempt: 1 }]);
  });

  it('turns a refused connection into a retryable HttpNetworkError naming the cause', async () => {
    const server = await serve((_req, res) => res.end());
    const url = server.url;
    await servers.pop()?.close();
    const failure = await failureOf(call(makeCallInput(makeConnector({ http: { url } }))));
    expect(failure.type).toBe('HttpNetworkError');
    expect(failure.nonRetryable).toBe(false);
    expect(failure.message).toContain('ECONNREFUSED');
  });

  it('turns a connection closed without an answer into a retryable HttpNetworkError', async () => {
    const server = await serve((_req, _res, raw) => raw.socket.destroy());
    const failure = await failureOf(call(makeCallInput(makeConnector({ http: { url: server.url } }))));
    expect(failure.type).toBe('HttpNetworkError');
    expect(failure.nonRetryable).toBe(false);
  });

  it('rethrows cancellation as a CancelledFailure, not a connector failure', async () => {
    const server = await serve(async (_req, res) => {
      await sleep(2_000);
      res.end();
    });
    const { logger } = captureLogger();
    const env = mockActivityEnvironment();
    const activities = createHttpConnectorActivities({ logger, env: {} });
    const running = runActivity(
      env,
      activities.callConnector,
      makeCallInput(makeConnector({ http: { url: server.url } })),
    );
    await sleep(100);
    env.cancel();
    await expect(running).rejects.toBeInstanceOf(CancelledFailure);
  });

  it('fails non-retryably with ConnectorConfigError when an env variable is missing', async () => {
    const connector = makeConnector({ http: { url: '{{ env.MAILER_URL }}' } });
    const failure = await failureOf(call(makeCallInput(connector), { env: {} }));
    expect(failure.type).toBe('ConnectorConfigError');
    expect(failure.nonRetryable).toBe(true);
    expect(failure.message).toContain('MAILER_URL is not set');
  });

  it('refuses to expose the whole environment through {{ env }}', async () => {
    const connector = makeConnector({ http: { url: 'http://127.0.0.1:1', headers: { 'X-All': '{{ env }}' } } });
    const failure = await failureOf(call(makeCallInput(connector), { env: { A: 'aaaa' } }));
    expect(failure.type).toBe('ConnectorConfigError');
    expect(failure.message).toContain('name the variable');
  });

  it('fails non-retryably when the URL is not http(s)', async () => {
    const failure = await failureOf(call(makeCallInput(makeConnector({ http: { url: 'ftp://example.org' } }))));
    expect(failure.type).toBe('ConnectorConfigError');
    expect(failure.nonRetryable).toBe(true);
  });
});

describe('callConnector: idempotency and auth', () => {
  it('sends the idempotency key in the configured header, the same on every attempt', async () => {
    const server = await serve((_req, res) => res.end());
    const connector = makeConnector({
      http: { url: server.url, headers: { 'X-Idem': 'configured value must not win' } },
      idempotencyHeader: 'X-Idem',
    });
    const input = makeCallInput(connector);
    await call(input, {}, 1);
    await call(input, {}, 2);
    expect(server.requests.map((r) => r.headers['x-idem'])).toEqual([input.idempotencyKey, input.idempotencyKey]);
  });

  it('signs the request with Standard Webhooks: verifiable, webhook-id is the idempotency key', async () => {
    const secret = `whsec_${Buffer.from('a-signing-secret-of-32-bytes!!!!').toString('base64')}`;
    const server = await serve((_req, res) => res.end());
    const connector = makeConnector({
      http: { url: server.url, auth: { type: 'standardWebhooks', secret: '{{ env.PAYOUTS_SECRET }}' } },
    });
    const input = makeCallInput(connector, { body: { amount: 100 } });
    await call(input, { env: { PAYOUTS_SECRET: secret } });
    const seen = server.requests[0]!;
    const headers = Object.fromEntries(Object.entries(seen.headers).map(([k, v]) => [k, String(v)]));
    expect(headers['webhook-id']).toBe(input.idempotencyKey);
    expect(new Webhook(secret).verify(seen.body, headers)).toEqual({ amount: 100 });
    expect(() => new Webhook(secret).verify(`${seen.body} `, headers)).toThrow();
  });

  it('sends a bearer token resolved from env', async () => {
    const server = await serve((_req, res) => res.end());
    const connector = makeConnector({ http: { url: server.url, auth: { type: 'bearer', token: '{{ env.TOKEN }}' } } });
    await call(makeCallInput(connector), { env: { TOKEN: 'tok-123456' } });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer tok-123456');
  });

  it('sends basic credentials', async () => {
    const server = await serve((_req, res) => res.end());
    const connector = makeConnector({
      http: { url: server.url, auth: { type: 'basic', username: 'hunt', password: '{{ env.PAYOUTS_PASSWORD }}' } },
    });
    await call(makeCallInput(connector), { env: { PAYOUTS_PASSWORD: 'p@ss:word' } });
    const expected = `Basic ${Buffer.from('hunt:p@ss:word').toString('base64')}`;
    expect(server.requests[0]?.headers.authorization).toBe(expected);
  });

  it('resolves env in the connector settings only: action fields (rendered from event data) stay literal', async () => {
    const server = await serve((_req, res) => res.end());
    const connector = makeConnector({
      http: { url: '{{ env.BASE }}/v{{ env.API_VERSION }}', headers: { 'X-Key': 'key-{{ env.KEY }}' } },
    });
    const input = makeCallInput(connector, {
      path: 'teams/red',
      body: { greeting: 'Hello {{ firstName }}', port: '{{ env.API_VERSION }}', raw: '{{#if x}}y{{/if}}' },
    });
    await call(input, { env: { BASE: server.url, API_VERSION: '2', KEY: 'abcdef' } });
    const seen = server.requests[0]!;
    expect(seen.url).toBe('/v2/teams/red');
    expect(seen.headers['x-key']).toBe('key-abcdef');
    // An event value that looks like `{{ env.X }}` must never make the activity read the environment.
    expect(JSON.parse(seen.body)).toEqual({
      greeting: 'Hello {{ firstName }}',
      port: '{{ env.API_VERSION }}',
      raw: '{{#if x}}y{{/if}}',
    });
  });

  it("resolves env in the connector's own body when the action has none", async () => {
    const server = await serve((_req, res) => res.end());
    const connector = makeConnector({ http: { url: '{{ env.BASE }}', body: { account: '{{ env.ACCOUNT }}' } } });
    await call(makeCallInput(connector, {}), { env: { BASE: server.url, ACCOUNT: 'acct-7' } });
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ account: 'acct-7' });
  });
});

describe('callConnector: heartbeats', () => {
  it('heartbeats while it waits for a slow answer', async () => {
    const server = await serve(async (_req, res) => {
      await sleep(500);
      res.end('done');
    });
    const { logger } = captureLogger();
    const env = mockActivityEnvironment();
    const beats: unknown[] = [];
    env.on('heartbeat', (details: unknown) => beats.push(details));
    const activities = createHttpConnectorActivities({ logger, env: {}, heartbeatIntervalMs: 50 });
    await runActivity(env, activities.callConnector, makeCallInput(makeConnector({ http: { url: server.url } })));
    expect(beats.length).toBeGreaterThanOrEqual(4);
    expect(beats[0]).toMatchObject({ attempt: 1 });
    // No heartbeat after the call returned.
    const count = beats.length;
    await sleep(150);
    expect(beats.length).toBe(count);
  });
});

describe('callConnector: secrets', () => {
  const TOKEN = 'sk_live_very_secret_token';
  const PASSWORD = 'hunter2-password';

  it('keeps env values and credentials out of the result, failures and logs, even when the partner echoes them', async () => {
    const server = await serve((req, res) => {
      const echoed = JSON.stringify({
        got: req.headers.authorization,
        password: req.headers['x-password'],
        body: req.body,
        url: req.url,
      });
      res.writeHead(req.url?.includes('fail') ? 400 : 200, { 'x-echo': String(req.headers.authorization) });
      res.end(echoed);
    });
    const { logger, output } = captureLogger();
    const env = { TOKEN, PASSWORD, BASE: server.url };
    const connector = makeConnector({
      http: {
        url: '{{ env.BASE }}',
        auth: { type: 'bearer', token: '{{ env.TOKEN }}' },
        headers: { 'X-Password': '{{ env.PASSWORD }}' },
      },
      recordHeaders: ['x-echo'],
    });
    const activities = createHttpConnectorActivities({ logger, env });

    const input = makeCallInput(connector, { path: '/ok', body: { note: 'hello' } });
    const result = await runActivity(mockActivityEnvironment(), activities.callConnector, input);
    const failing = makeCallInput(connector, { path: '/fail', body: { note: 'hello' } });
    const failure = await failureOf(runActivity(mockActivityEnvironment(), activities.callConnector, failing));

    // The partner did receive the secrets…
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(server.requests[0]?.headers['x-password']).toBe(PASSWORD);
    // …but nothing recorded or logged holds them.
    const recorded = [JSON.stringify(result), failure.message, JSON.stringify(failure.details), output()];
    for (const text of recorded) {
      expect(text).not.toContain(TOKEN);
      expect(text).not.toContain(PASSWORD);
    }
    expect(result.body).toContain('[env.TOKEN]');
    expect(result.headers['x-echo']).toBe('Bearer [env.TOKEN]');
    expect(output()).toContain('welcome');
  });

  it('logs each call with workflowId, eventId, ruleId and connector', async () => {
    const server = await serve((_req, res) => res.end());
    const { logger, output } = captureLogger();
    const activities = createHttpConnectorActivities({ logger, env: {} });
    await runActivity(
      mockActivityEnvironment(),
      activities.callConnector,
      makeCallInput(makeConnector({ http: { url: server.url } })),
    );
    const line = JSON.parse(output().trim().split('\n').at(-1)!);
    expect(line).toMatchObject({
      workflowId: 'team/red',
      eventId: 'evt-1',
      ruleId: 'welcome',
      connector: 'mailer',
      status: 200,
    });
  });
});
