/**
 * The first five minutes, in a real browser: `npm start` (with a demo speed), the scripted demo, the live
 * map drawing the treasure hunt and its counts moving, and the Temporal Web UI finding the demo's teams by
 * search attribute and showing a team's events and calls. Screenshots go to a temporary directory, so a test run
 * leaves the tree as it was; `HUNT_SCREENSHOTS=docs/images npm test -- test/browser` renews the README's.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { loadCompiledConfig } from '../../src/config/index.js';
import { buildGraph } from '../../src/config/graph.js';
import { playDemo, type DemoSummary } from '../../src/demo/demo-hunt.js';
import { readDemoSecrets } from '../../src/demo/demo-secrets.js';
import { sandboxRemote } from '../../src/demo/sandbox-remote.js';
import { launchChromium, type Chromium } from './chromium.js';
import { freePort } from '../helpers/free-port.js';

let images: string;

let chromium: Chromium;
let engine: ChildProcess;
let output = '';
let stateDir: string;
let ports: Record<'TEMPORAL_DEV_PORT' | 'TEMPORAL_DEV_UI_PORT' | 'HUNT_PORT' | 'HUNT_SANDBOX_PORT', number>;
let ingestUrl: string;
let uiUrl: string;
let demo: Promise<DemoSummary> | undefined;

beforeAll(async () => {
  chromium = await launchChromium();
  const temporal = inject('temporal');
  if ('error' in temporal) throw new Error(temporal.error);
  stateDir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-browser-'));
  images = path.resolve(process.env.HUNT_SCREENSHOTS ?? path.join(stateDir, 'screenshots'));
  ports = {
    TEMPORAL_DEV_PORT: await freePort(),
    TEMPORAL_DEV_UI_PORT: await freePort(),
    HUNT_PORT: await freePort(),
    HUNT_SANDBOX_PORT: await freePort(),
  };
  ingestUrl = `http://127.0.0.1:${ports.HUNT_PORT}`;
  uiUrl = `http://localhost:${ports.TEMPORAL_DEV_UI_PORT}`;
  engine = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ...process.env,
      LOG_FORMAT: 'json',
      LOG_LEVEL: 'warn',
      TEMPORAL_CLI_PATH: temporal.cliPath,
      HUNT_STATE_DIR: stateDir,
      HUNT_TASK_QUEUE: 'browser-test',
      // 120×: the 45-minute nudge comes after 22.5 s, the 10-minute lock-out window is 5 s.
      HUNT_DEMO_SPEED: '120',
      ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  engine.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  engine.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const deadline = Date.now() + 120_000;
  while (!output.includes('Stop with Ctrl-C')) {
    if (engine.exitCode !== null) throw new Error(`engine exited early:\n${output}`);
    if (Date.now() > deadline) throw new Error(`engine did not start in 120 s:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  await fs.mkdir(images, { recursive: true });
}, 180_000);

afterAll(async () => {
  await chromium?.close();
  if (engine && engine.exitCode === null) {
    const exited = new Promise((resolve) => engine.once('exit', resolve));
    engine.kill('SIGINT');
    await exited;
  }
  if (stateDir) await fs.rm(stateDir, { recursive: true, force: true });
});

function startDemo(): Promise<DemoSummary> {
  demo ??= (async () =>
    playDemo({
      url: ingestUrl,
      secrets: await readDemoSecrets(stateDir, {}),
      sandbox: sandboxRemote(`http://127.0.0.1:${ports.HUNT_SANDBOX_PORT}`),
      webUiUrl: uiUrl,
      namespace: 'default',
      runId: 'browser',
      paceMs: 150,
      nudgeTimeoutMs: 120_000,
      log: () => undefined,
    }))();
  return demo;
}

describe('the live map', () => {
  it('draws the treasure-hunt wiring, and its counts move while the demo plays', async () => {
    const config = await loadCompiledConfig('examples/treasure-hunt/hunt.yaml');
    const page = await chromium.context.newPage();
    await page.goto(`${ingestUrl}/`);
    await expect.poll(() => page.locator('#status').textContent(), { timeout: 20_000 }).toMatch(/^updated/);
    expect(await page.locator('h1').textContent()).toContain('city-treasure-hunt');
    expect(await page.locator('#graph .node').count()).toBe(buildGraph(config).nodes.length);
    expect(await page.locator('#graph .node.rule[tabindex="0"]').count()).toBe(config.rules.length);
    expect(await page.locator('#total-eventsIn').textContent()).toBe('0');

    const played = startDemo();
    await expect
      .poll(async () => Number(await page.locator('#total-eventsIn').textContent()), { timeout: 60_000 })
      .toBeGreaterThan(0);
    const summary = await played;
    await expect
      .poll(async () => page.locator('[data-id="rule:pay-winner"] text.count').textContent(), { timeout: 30_000 })
      .toBe('fired in 1');
    expect(Number(await page.locator('#total-eventsIn').textContent())).toBe(summary.eventsSent);
    // The shop's Shopify order became one hint.requested per HINT line item; the throttle let one mail out.
    expect(summary.shop).toEqual({ hints: 2, mailed: 1 });
    expect(await page.locator('#total-callsFailed').textContent()).toBe('2');
    expect(await page.locator('[data-id="connector:mailer"] text.count').textContent()).toMatch(/ok · 2 failed$/);

    // Keyboard: focus the rule on the map and press Enter; the panel explains it and links to the Web UI.
    await page.locator('[data-id="rule:lock-out-guessers"]').focus();
    await page.keyboard.press('Enter');
    const details = page.locator('#details-body');
    await expect.poll(() => details.textContent()).toContain('3 × answer.submitted');
    const href = await page.locator('#rule-link').getAttribute('href');
    expect(href).toBe(
      `${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent('HuntRulesFired = "lock-out-guessers"')}`,
    );
    await page.screenshot({ path: path.join(images, 'live-map.png'), fullPage: true });

    // The link really filters the Web UI to the entity where the rule fired.
    await page.goto(href!);
    await expect
      .poll(() => page.locator('body').innerText(), { timeout: 30_000 })
      .toContain('team/green-turtles-browser');
    expect(await page.locator('body').innerText()).not.toContain('team/red-foxes-browser');
    await page.close();
  }, 240_000);
});

describe('the Temporal Web UI', () => {
  it('finds the demo teams by HuntEntityType and shows a team’s events and calls', async () => {
    const summary = await startDemo();
    const page = await chromium.context.newPage();
    await page.goto(`${uiUrl}/namespaces/default/workflows?query=${encodeURIComponent('HuntEntityType = "team"')}`);
    for (const team of summary.teams) {
      await expect.poll(() => page.locator('body').innerText(), { timeout: 30_000 }).toContain(team.workflowId);
    }
    expect(await page.locator('body').innerText()).not.toContain(`hunt/${summary.hunt}`);
    await page.screenshot({ path: path.join(images, 'web-ui-search.png') });

    const winner = summary.teams.find((t) => t.role === 'winner')!;
    await page.goto(winner.webUiUrl);
    // Activity summaries name what each call was for; `publish` is an event delivered with update-with-start.
    // (The timeline shows `callConnector • next clue`, the table `callConnector` … `next clue`.)
    const shows = async (...words: string[]) => {
      const text = await page.locator('body').innerText();
      return words.every((word) => text.includes(word)) ? 'yes' : text.slice(0, 3000);
    };
    await expect.poll(() => shows('callConnector', 'next clue', 'publish'), { timeout: 60_000 }).toBe('yes');
    await page.screenshot({ path: path.join(images, 'web-ui-team.png') });
    // The memo carries the entity summary; the search attributes tab shows the engine's attributes.
    /** Opens a tab of the workflow page (a link or a tab, by UI version) and waits until it shows `text`. */
    const openTab = async (name: string, text: string) => {
      await page.getByRole('link', { name }).or(page.getByRole('tab', { name })).first().click();
      await expect.poll(() => page.locator('body').innerText(), { timeout: 15_000 }).toContain(text);
    };
    await openTab('Memo', 'configVersion');
    expect(await page.locator('body').innerText()).toContain(winner.workflowId);
    await openTab('Search Attributes', 'HuntRulesFired');
    await page.close();
  }, 240_000);
});
