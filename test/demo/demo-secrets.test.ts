import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { DemoSecretsError, readDemoSecrets } from '../../src/demo/demo-secrets.js';

describe('readDemoSecrets', () => {
  it('reads dev-secrets.json, with the environment taking precedence', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-demo-secrets-'));
    await fs.writeFile(
      path.join(dir, 'dev-secrets.json'),
      JSON.stringify({
        PAYMENTS_WEBHOOK_SECRET: 'whsec_file',
        SHOP_WEBHOOK_SECRET: 'shop-file',
        SCANNER_API_KEY: 'scan-file',
        GAME_SIGNING_SECRET: 'game-file',
      }),
    );
    expect(await readDemoSecrets(dir, { SCANNER_API_KEY: 'scan-env' })).toEqual({
      payments: 'whsec_file',
      shop: 'shop-file',
      scanners: 'scan-env',
      game: 'game-file',
    });
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('names every missing variable and the file it looked in', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-demo-secrets-'));
    const error = await readDemoSecrets(dir, { GAME_SIGNING_SECRET: 'g' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DemoSecretsError);
    expect((error as Error).message).toContain('PAYMENTS_WEBHOOK_SECRET, SHOP_WEBHOOK_SECRET, SCANNER_API_KEY');
    expect((error as Error).message).toContain(path.join(dir, 'dev-secrets.json'));
    await fs.rm(dir, { recursive: true, force: true });
  });
});
