/**
 * `npm start` as a newcomer runs it: the whole engine in one process tree on the embedded dev server,
 * the banner's curl accepted, the entity visible, and Ctrl-C leaving nothing behind. Plus the startup
 * failures that must each give one clear message.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { isPortOpen } from '../src/dev/dev-server.js';
import { freePort } from './helpers/free-port.js';

interface Started {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

function startEngine(env: Record<string, string>): Started {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: { ...process.env, LOG_FORMAT: 'json', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => output, exited };
}

async function waitFor(started: Started, pattern: RegExp, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!pattern.test(started.output())) {
    if (started.child.exitCode !== null) throw new Error(`engine exited early:\n${started.output()}`);
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

let stateDir: string;
let cliPath: string;

beforeAll(async () => {
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-main-'));
  const temporal = inject('temporal');
  if ('error' in temporal) throw new Error(temporal.error);
  cliPath = temporal.cliPath;
});
afterAll(async () => {
  await fs.rm(stateDir, { recursive: true, force: true });
});

describe('npm start', () => {
  it('brings up Temporal, worker, ingest and sandbox; accepts the banner curl; stops cleanly on SIGINT', async () => {
    const ports = {
      TEMPORAL_DEV_PORT: await freePort(),
      TEMPORAL_DEV_UI_PORT: await freePort(),
      HUNT_PORT: await freePort(),
      HUNT_SANDBOX_PORT: await freePort(),
    };
    const engine = startEngine({
      TEMPORAL_CLI_PATH: cliPath,
      HUNT_STATE_DIR: stateDir,
      HUNT_TASK_QUEUE: 'main-test',
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    });
    try {
      await waitFor(engine, /Send an event:/);
      expect(engine.output()).toContain(`http://localhost:${ports.TEMPORAL_DEV_UI_PORT}/namespaces/default/workflows`);
      const curl = /curl -i (\S+) -H '([^']+)' -H '([^:]+): ([^']*)' -d '([^']+)'/.exec(engine.output());
      expect(curl, 'banner has a curl with an API key').not.toBeNull();
      const [, url, contentType, keyHeader, key, body] = curl!;
      const response = await fetch(url!, {
        method: 'POST',
        headers: { 'content-type': contentType!.split(': ')[1]!, [keyHeader!]: key! },
        body: body!,
      });
      expect(response.status).toBe(202);
      const sent = JSON.parse(body!) as { data: { teamId: string } };
      const entityUrl = `http://127.0.0.1:${ports.HUNT_PORT}/entities/team/${sent.data.teamId}`;
      let entity: { state?: { found?: string[] } } = {};
      for (let i = 0; i < 50 && !entity.state?.found?.length; i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const r = await fetch(entityUrl);
        if (r.ok) entity = (await r.json()) as typeof entity;
      }
      expect(entity.state?.found).toEqual(['cp-1']);
      // …and its rule called a partner (the sandbox mailer) through an activity.
      let calls: Array<{ body: string }> = [];
      for (let i = 0; i < 50 && !calls.some((c) => c.body.includes('pay-to-play')); i++) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        const r = await fetch(`http://127.0.0.1:${ports.HUNT_SANDBOX_PORT}/_requests`);
        const listed = (await r.json()) as Array<{ body: string }> | { requests: Array<{ body: string }> };
        calls = Array.isArray(listed) ? listed : listed.requests;
      }
      expect(calls.some((c) => c.body.includes('pay-to-play'))).toBe(true);
      const ui = await fetch(`http://127.0.0.1:${ports.TEMPORAL_DEV_UI_PORT}/`);
      expect(ui.status).toBe(200);
    } finally {
      engine.child.kill('SIGINT');
    }
    expect(await engine.exited).toBe(0);
    for (const port of Object.values(ports)) expect(await isPortOpen(port), `port ${port} still open`).toBe(false);
  }, 180_000);
});

describe('startup failures give one clear message', () => {
  it('names a bad setting', async () => {
    const engine = startEngine({ HUNT_PORT: 'eighty', HUNT_STATE_DIR: stateDir });
    expect(await engine.exited).toBe(1);
    expect(engine.output()).toMatch(/Invalid settings:\s+HUNT_PORT:/);
    expect(engine.output()).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('says where an invalid configuration is wrong', async () => {
    const config = path.join(stateDir, 'broken.yaml');
    await fs.writeFile(config, 'name: broken\nrules:\n  - id: x\n    on: nothing.here\n    then: []\n');
    const engine = startEngine({ HUNT_CONFIG: config, HUNT_STATE_DIR: stateDir });
    expect(await engine.exited).toBe(1);
    expect(engine.output()).toContain('broken.yaml');
    expect(engine.output()).not.toMatch(/\n\s+at /);
  });

  it('explains an unreachable TEMPORAL_ADDRESS', async () => {
    const port = await freePort();
    const engine = startEngine({
      TEMPORAL_ADDRESS: `127.0.0.1:${port}`,
      HUNT_STATE_DIR: stateDir,
      HUNT_SANDBOX: 'false',
    });
    expect(await engine.exited).toBe(1);
    expect(engine.output()).toContain(`Cannot reach Temporal at 127.0.0.1:${port} (TEMPORAL_ADDRESS)`);
  }, 60_000);

  it('names the ingest port when it is taken', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as net.AddressInfo;
    try {
      const engine = startEngine({
        TEMPORAL_CLI_PATH: cliPath,
        HUNT_STATE_DIR: await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-main-port-')),
        HUNT_PORT: String(port),
        HUNT_SANDBOX_PORT: String(await freePort()),
        TEMPORAL_DEV_PORT: String(await freePort()),
        TEMPORAL_DEV_UI_PORT: String(await freePort()),
      });
      expect(await engine.exited).toBe(1);
      expect(engine.output()).toContain(`Port ${port} (ingest API) is already in use`);
      expect(engine.output()).toContain('HUNT_PORT');
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  }, 120_000);
});
