/**
 * The bench's dev servers start on ports that were free a moment ago; one taken in between (the kernel gives the same
 * range to outgoing connections) makes the server exit with "address already in use", and the bench starts it on
 * other ports instead of failing the run. Real dev servers, a real connection holding the taken port.
 */
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, startOnFreePorts, type ServerPorts } from '../../bench/bench-server.js';
import { startDevServer } from '../../src/dev/dev-server.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/**
 * A port taken the way a bench run takes one: by an outgoing connection's local end. Nothing listens on it, so a
 * check that connects finds it free, and a server that binds it exits with "address already in use".
 */
async function portOfAnOutgoingConnection(): Promise<number> {
  const accepted: net.Socket[] = [];
  const server = net.createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  await new Promise<void>((resolve) => client.once('connect', resolve));
  cleanups.push(async () => {
    client.destroy();
    for (const socket of accepted) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return client.localPort!;
}

async function stateDir(): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-ports-'));
  cleanups.push(() => fs.rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('startOnFreePorts', () => {
  it('starts the server again on other ports when one it was given is taken', async () => {
    const taken = await portOfAnOutgoingConnection();
    const picked: ServerPorts[] = [];
    const pick = async () => {
      const ports = { port: await freePort(), uiPort: picked.length === 0 ? taken : await freePort() };
      picked.push(ports);
      return ports;
    };
    const errors: string[] = [];
    const { server, ports } = await startOnFreePorts(async (chosen) => {
      try {
        return await startDevServer({
          stateDir: await stateDir(),
          ...chosen,
          namespace: 'default',
          logger: pino({ level: 'silent' }),
          allowDownload: false,
        });
      } catch (err) {
        errors.push(String(err));
        throw err;
      }
    }, pick);
    cleanups.push(() => server.stop());
    // The first server said why it exited, and the second one runs on the ports of the second pick.
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/address already in use/);
    expect(picked).toHaveLength(2);
    expect(ports).toEqual(picked[1]);
    expect(server.address).toBe(`127.0.0.1:${picked[1]!.port}`);
  }, 120_000);

  it('throws any other failure at once', async () => {
    let calls = 0;
    await expect(
      startOnFreePorts(async () => {
        calls++;
        throw new Error('no CLI here');
      }),
    ).rejects.toThrow('no CLI here');
    expect(calls).toBe(1);
  });
});
