/**
 * The Chromium that ships inside the `@sparticuz/chromium` npm package (a self-contained build that needs
 * only libc), so `npm install` alone is enough for the browser tests. Its brotli-packed binary is unpacked
 * once per version into the same cache as the Temporal CLI, then driven by playwright-core, launched the
 * way this closed network needs (no background networking, no QUIC) with a fresh profile.
 * `HUNT_CHROMIUM_PATH` points at another Chromium (e.g. Debian's /usr/bin/chromium) instead.
 */
import { createReadStream, createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { chromium, type BrowserContext } from 'playwright-core';

export interface Chromium {
  context: BrowserContext;
  /** Ends the browser, then removes its profile. */
  close(): Promise<void>;
}

/** Where the packaged Chromium is (unpacking it on first use); a failure says what to do. */
export async function chromiumExecutable(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.HUNT_CHROMIUM_PATH) return env.HUNT_CHROMIUM_PATH;
  // The package's exports hide package.json; its entry point lives in build/, one level below the root.
  const packageDir = path.resolve(path.dirname(createRequire(import.meta.url).resolve('@sparticuz/chromium')), '..');
  const { version } = JSON.parse(await fs.readFile(path.join(packageDir, 'package.json'), 'utf8')) as {
    version: string;
  };
  const packed = path.join(packageDir, 'bin', 'chromium.br');
  const root = path.join(env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache'), 'treasure-hunt');
  const target = path.join(root, 'chromium', version, 'chromium');
  if (
    await fs.stat(target).then(
      (s) => s.isFile(),
      () => false,
    )
  )
    return target;
  process.stderr.write(`Unpacking Chromium ${version} from @sparticuz/chromium into ${path.dirname(target)} (once)…\n`);
  await fs.mkdir(path.dirname(target), { recursive: true });
  // Unpacked beside the target and renamed into place, so parallel test runs never see half a binary.
  const staging = `${target}.${process.pid}`;
  try {
    await pipeline(createReadStream(packed), createBrotliDecompress(), createWriteStream(staging, { mode: 0o755 }));
    await fs.rename(staging, target);
  } catch (err) {
    await fs.rm(staging, { force: true });
    throw new Error(
      `Could not unpack Chromium from ${packed} into ${target}: ${(err as Error).message}. ` +
        'Run `npm install` again (the package carries the browser), or set HUNT_CHROMIUM_PATH to a Chromium.',
      { cause: err },
    );
  }
  return target;
}

/** Launches headless Chromium with a fresh profile of its own. */
export async function launchChromium(): Promise<Chromium> {
  const executablePath = await chromiumExecutable();
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath,
    headless: true,
    viewport: { width: 1440, height: 900 },
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      await fs.rm(profile, { recursive: true, force: true, maxRetries: 5 });
    },
  };
}
