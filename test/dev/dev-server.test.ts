import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { Connection } from '@temporalio/client';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { devServerArgs, isPortOpen, PortInUseError, startDevServer, type DevServer } from '../../src/dev/dev-server.js';
import { searchAttributeDefinitions } from '../../src/contract/search-attributes.js';
import { freePort } from '../helpers/free-port.js';

const logger = pino({ level: 'silent' });
let stateDir: string;
let cliEnv: Record<string, string | undefined>;

beforeAll(async () => {
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-dev-'));
  const temporal = inject('temporal');
  if ('error' in temporal) throw new Error(temporal.error);
  cliEnv = { TEMPORAL_CLI_PATH: temporal.cliPath, PATH: process.env.PATH };
});
afterAll(async () => {
  await fs.rm(stateDir, { recursive: true, force: true });
});

describe('devServerArgs', () => {
  it('persists to the state directory and registers every search attribute', () => {
    const args = devServerArgs({ stateDir: '/state', port: 7233, uiPort: 8233, namespace: 'default' });
    expect(args.slice(0, 2)).toEqual(['server', 'start-dev']);
    expect(args[args.indexOf('--db-filename') + 1]).toBe('/state/temporal.db');
    expect(args[args.indexOf('--ui-port') + 1]).toBe('8233');
    for (const [name, type] of Object.entries(searchAttributeDefinitions)) expect(args).toContain(`${name}=${type}`);
  });

  it('lifts the transfer-queue read limit of the single shard, and takes further dynamic config', () => {
    const values = (args: string[]) =>
      args.flatMap((arg, i) => (args[i - 1] === '--dynamic-config-value' ? [arg] : []));
    const base = { stateDir: '/state', port: 7233, uiPort: 8233, namespace: 'default' };
    expect(values(devServerArgs(base))).toEqual(['history.transferProcessorMaxPollRPS=1000']);
    expect(
      values(devServerArgs({ ...base, dynamicConfig: { 'history.transferProcessorMaxPollRPS': 50, 'x.y': 'z' } })),
    ).toEqual(['history.transferProcessorMaxPollRPS=50', 'x.y="z"']);
  });
});

describe('startDevServer', () => {
  let server: DevServer;
  let port: number;
  let uiPort: number;

  beforeAll(async () => {
    port = await freePort();
    uiPort = await freePort();
    server = await startDevServer({
      stateDir,
      port,
      uiPort,
      namespace: 'default',
      logger,
      env: cliEnv,
      allowDownload: false,
    });
  }, 120_000);

  it('starts the CLI dev server with the UI, the database file and the search attributes', async () => {
    expect(server.mode).toBe('started');
    expect(await isPortOpen(uiPort)).toBe(true);
    const ui = await fetch(`http://127.0.0.1:${uiPort}/`);
    expect(ui.status).toBe(200);
    await expect(fs.stat(path.join(stateDir, 'temporal.db'))).resolves.toBeTruthy();
    const connection = await Connection.connect({ address: server.address });
    try {
      const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(customAttributes ?? {})).toEqual(
        expect.arrayContaining(Object.keys(searchAttributeDefinitions)),
      );
    } finally {
      await connection.close();
    }
  });

  it('reuses a healthy server already listening instead of failing', async () => {
    const again = await startDevServer({ stateDir, port, uiPort, namespace: 'default', logger, env: cliEnv });
    expect(again.mode).toBe('reused');
    await again.stop(); // stopping a reused server leaves it running
    expect(await isPortOpen(port)).toBe(true);
  });

  it('stops cleanly and keeps its data for the next start', async () => {
    await server.stop();
    expect(await isPortOpen(port)).toBe(false);
    expect(await isPortOpen(uiPort)).toBe(false);
    const restarted = await startDevServer({ stateDir, port, uiPort, namespace: 'default', logger, env: cliEnv });
    expect(restarted.mode).toBe('started');
    await restarted.stop();
  }, 120_000);
});

describe('port conflicts', () => {
  it('names the port and the setting when something else holds the gRPC port', async () => {
    const sockets = new Set<net.Socket>();
    const squatter = net.createServer((socket) => {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.end('not temporal\n');
    });
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port } = squatter.address() as net.AddressInfo;
    try {
      const error = await startDevServer({
        stateDir,
        port,
        uiPort: await freePort(),
        namespace: 'default',
        logger,
        env: cliEnv,
      }).catch((err: unknown) => err);
      expect(error).toBeInstanceOf(PortInUseError);
      expect((error as Error).message).toContain(`Port ${port}`);
      expect((error as Error).message).toContain('TEMPORAL_DEV_PORT');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => squatter.close(resolve));
    }
  });

  it('names the UI port and its setting when it is taken', async () => {
    const squatter = net.createServer();
    await new Promise<void>((resolve) => squatter.listen(0, '127.0.0.1', resolve));
    const { port: uiPort } = squatter.address() as net.AddressInfo;
    try {
      await expect(
        startDevServer({ stateDir, port: await freePort(), uiPort, namespace: 'default', logger, env: cliEnv }),
      ).rejects.toThrow(/TEMPORAL_DEV_UI_PORT/);
    } finally {
      await new Promise((resolve) => squatter.close(resolve));
    }
  });
});
