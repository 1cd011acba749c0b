/**
 * Debian's Chromium driven by playwright-core, launched the way this closed network needs (no background
 * networking, no QUIC) with a fresh profile. A missing browser is a failure with the fix, never a skip.
 */
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM_PATH = '/usr/bin/chromium';

export interface Chromium {
  context: BrowserContext;
  /** Ends the browser, then removes its profile. */
  close(): Promise<void>;
}

/** Launches headless Chromium with a fresh profile of its own. */
export async function launchChromium(): Promise<Chromium> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `Chromium is missing at ${CHROMIUM_PATH}: the browser tests need it. Install it with ` +
        '`apt-get install -y chromium` (.ci/run does this on CI).',
    );
  }
  const profile = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
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
