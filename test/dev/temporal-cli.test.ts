import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cliCacheDir,
  provisionTemporalCli,
  TEMPORAL_CLI_BUILD,
  TEMPORAL_CLI_MODULE,
  TEMPORAL_CLI_UPGRADES,
  TEMPORAL_CLI_VERSION,
  TemporalCliUnavailableError,
} from '../../src/dev/temporal-cli.js';

let dir: string;

async function executable(file: string, body = '#!/bin/sh\necho temporal\n') {
  await fs.mkdir(path.dirname(file), { recursive: true });
  await fs.writeFile(file, body, { mode: 0o755 });
  return file;
}

beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-cli-'));
});
afterEach(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

describe('provisionTemporalCli', () => {
  it('uses TEMPORAL_CLI_PATH first', async () => {
    const explicit = await executable(path.join(dir, 'explicit', 'temporal'));
    const onPath = await executable(path.join(dir, 'bin', 'temporal'));
    const cli = await provisionTemporalCli({
      env: { TEMPORAL_CLI_PATH: explicit, PATH: path.dirname(onPath) },
      cacheRoot: dir,
      log: () => undefined,
    });
    expect(cli).toEqual({ path: explicit, origin: 'env' });
  });

  it('fails clearly when TEMPORAL_CLI_PATH is not an executable', async () => {
    await expect(
      provisionTemporalCli({
        env: { TEMPORAL_CLI_PATH: path.join(dir, 'missing') },
        cacheRoot: dir,
        log: () => undefined,
      }),
    ).rejects.toThrow(/TEMPORAL_CLI_PATH=.*not an executable file/);
  });

  it('then `temporal` on PATH', async () => {
    const onPath = await executable(path.join(dir, 'bin', 'temporal'));
    const cli = await provisionTemporalCli({
      env: { PATH: path.dirname(onPath) },
      cacheRoot: dir,
      log: () => undefined,
    });
    expect(cli).toEqual({ path: onPath, origin: 'path' });
  });

  it('then the cached build for its version', async () => {
    const cached = await executable(path.join(cliCacheDir({ cacheRoot: dir }), 'temporal'));
    expect(cached).toContain(TEMPORAL_CLI_VERSION);
    const cli = await provisionTemporalCli({
      env: { PATH: path.join(dir, 'empty') },
      cacheRoot: dir,
      log: () => undefined,
    });
    expect(cli).toEqual({ path: cached, origin: 'cache' });
  });

  it('builds with Go into the cache, telling what it does', async () => {
    // A `go` that behaves like `go install` (writes $GOBIN/temporal): the lookup and caching are under test here.
    const goDir = path.join(dir, 'go-bin');
    await executable(
      path.join(goDir, 'go'),
      '#!/bin/sh\nprintf "#!/bin/sh\\n" > "$GOBIN/temporal"; /bin/chmod +x "$GOBIN/temporal"\n',
    );
    const lines: string[] = [];
    const cli = await provisionTemporalCli({ env: { PATH: goDir }, cacheRoot: dir, log: (m) => lines.push(m) });
    expect(cli.origin).toBe('go-build');
    expect(cli.path).toBe(path.join(cliCacheDir({ cacheRoot: dir }), 'temporal'));
    expect(lines.join('\n')).toMatch(/Building the Temporal CLI/);
    // A second call finds the cached build without Go.
    expect((await provisionTemporalCli({ env: { PATH: '' }, cacheRoot: dir, log: () => undefined })).origin).toBe(
      'cache',
    );
  });

  it('builds the default version with its upgraded dependencies in a throwaway module', async () => {
    // A `go` that records what it was asked and where, and writes $GOBIN/temporal like `go install`.
    const goDir = path.join(dir, 'go-bin');
    const calls = path.join(dir, 'go-calls.txt');
    await executable(
      path.join(goDir, 'go'),
      `#!/bin/sh\necho "$* | $(/bin/cat go.mod 2>/dev/null | /usr/bin/head -1)" >> ${calls}\n` +
        'printf "#!/bin/sh\\n" > "$GOBIN/temporal"; /bin/chmod +x "$GOBIN/temporal"\n',
    );
    const cli = await provisionTemporalCli({ env: { PATH: goDir }, cacheRoot: dir, log: () => undefined });
    expect(cli.path).toBe(path.join(dir, 'temporal-cli', TEMPORAL_CLI_BUILD, 'temporal'));
    const upgrades = Object.entries(TEMPORAL_CLI_UPGRADES).map(([m, v]) => `${m}@${v}`);
    expect(upgrades).toContain('modernc.org/sqlite@v1.40.1');
    expect((await fs.readFile(calls, 'utf8')).trim().split('\n')).toEqual([
      `get ${TEMPORAL_CLI_MODULE}@${TEMPORAL_CLI_VERSION} ${upgrades.join(' ')} | module treasure-hunt.local/go-build`,
      `install ${TEMPORAL_CLI_MODULE} | module treasure-hunt.local/go-build`,
    ]);
    // The throwaway module is gone; only the binary is left in the cache.
    expect(await fs.readdir(path.join(dir, 'temporal-cli'))).toEqual([TEMPORAL_CLI_BUILD]);
  });

  it('builds a version asked for explicitly as released, with go install', async () => {
    const goDir = path.join(dir, 'go-bin');
    const calls = path.join(dir, 'go-calls.txt');
    await executable(
      path.join(goDir, 'go'),
      `#!/bin/sh\necho "$*" >> ${calls}\nprintf "#!/bin/sh\\n" > "$GOBIN/temporal"; /bin/chmod +x "$GOBIN/temporal"\n`,
    );
    await provisionTemporalCli({ env: { PATH: goDir }, cacheRoot: dir, version: 'v1.4.0', log: () => undefined });
    expect((await fs.readFile(calls, 'utf8')).trim()).toBe(`install ${TEMPORAL_CLI_MODULE}@v1.4.0`);
  });

  it('keeps saying it is building while Go compiles silently, and stops when the build ends', async () => {
    const goDir = path.join(dir, 'go-bin');
    await executable(
      path.join(goDir, 'go'),
      '#!/bin/sh\necho "go: downloading go.temporal.io/server"\n/bin/sleep 1\n' +
        'printf "#!/bin/sh\\n" > "$GOBIN/temporal"; /bin/chmod +x "$GOBIN/temporal"\n',
    );
    const lines: string[] = [];
    const env = { PATH: goDir };
    await provisionTemporalCli({ env, cacheRoot: dir, log: (m) => lines.push(m), progressIntervalMs: 200 });
    const progress = lines.filter((l) => l.includes('still building'));
    expect(progress.length, lines.join('\n')).toBeGreaterThanOrEqual(2); // one line of output, then silence
    const done = lines.findIndex((l) => l.startsWith('Built the Temporal CLI'));
    expect(done).toBe(lines.length - 1);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(lines.length, 'no progress line after the build ended').toBe(done + 1);
  });

  it('reports a failed Go build with its output', async () => {
    const goDir = path.join(dir, 'go-bin');
    await executable(path.join(goDir, 'go'), '#!/bin/sh\necho "checksum mismatch" >&2\nexit 1\n');
    await expect(provisionTemporalCli({ env: { PATH: goDir }, cacheRoot: dir, log: () => undefined })).rejects.toThrow(
      /go get .*@v1\.5\.1 modernc\.org\/sqlite@v1\.40\.1 failed \(exit 1\)[\s\S]*checksum mismatch/,
    );
  });

  it('without a Go toolchain, fails with one message that lists the options', async () => {
    const error = await provisionTemporalCli({
      env: { PATH: path.join(dir, 'empty') },
      cacheRoot: dir,
      log: () => undefined,
    }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(TemporalCliUnavailableError);
    const message = (error as Error).message;
    expect(message).toMatch(/Go toolchain \(`go`\) is not on PATH/);
    for (const option of ['TEMPORAL_CLI_PATH', 'PATH', 'npm run temporal:provision', 'TEMPORAL_ADDRESS']) {
      expect(message).toContain(option);
    }
  });
});
