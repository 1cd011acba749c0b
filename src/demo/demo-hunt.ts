/**
 * The scripted demo hunt, played against a running engine over its public HTTP API, as the real
 * partner systems would: three teams register and pay (Standard Webhooks), get cleared, scan
 * checkpoints (API key) and answer riddles (hub signature). One team gets stuck and is nudged, one is
 * locked out for wrong answers, one partner call fails and is retried, one team wins and is paid.
 * Every key carries a run id, so the demo can be played again against the same engine.
 */
import { createHttpSender, type HttpSender } from '../client/http-sender.js';
import { formatDuration } from '../config/durations.js';
import type { LiveCounts } from '../live-map/live-counts.js';
import type { RecordedRequest } from '../sandbox/sandbox-server.js';
import type { DemoSecrets } from './demo-secrets.js';
import type { SandboxRemote } from './sandbox-remote.js';
import { sendShopifyOrder } from './shopify-webhook-sender.js';
import { sendStripePayment } from './stripe-webhook-sender.js';
import { EngineError } from '../contract/engine-error.js';

/** The reference config's `nudge-stuck-team` window (45m), before any demo speed. */
export const NUDGE_WINDOW_MS = 45 * 60_000;

export type TeamRole = 'winner' | 'stuck' | 'locked out';

export interface DemoTeam {
  key: string;
  role: TeamRole;
  workflowId: string;
  /** The team's page in the Temporal Web UI. */
  webUiUrl: string;
}

export interface DemoOptions {
  /** Ingest API base URL. */
  url: string;
  secrets: DemoSecrets;
  /** The sandbox partners; without it the partner failure is not staged and calls are not counted. */
  sandbox?: SandboxRemote;
  /** Temporal Web UI base URL, for the links in the summary. */
  webUiUrl: string;
  namespace: string;
  /** Suffix of every key and event id of this run. */
  runId: string;
  /** Pause between steps, so the live map can be watched (ms). */
  paceMs: number;
  /** Longest wait for the stuck team's nudge; longer windows are reported as still pending (ms). */
  nudgeTimeoutMs: number;
  /** One line of progress. */
  log: (line: string) => void;
}

export interface DemoSummary {
  runId: string;
  hunt: string;
  config: LiveCounts['config'];
  teams: DemoTeam[];
  eventsSent: number;
  /** Rule id → times it fired in the demo's entities (from their decision traces). */
  rulesFired: Record<string, number>;
  /** Partner calls (sandbox attempts) made during the demo; absent without the sandbox. */
  calls?: { attempts: number; failed: number; byConnector: Record<string, number> };
  /** The call that was made to fail and then succeeded on retry. */
  retried?: { connector: string; attempts: number };
  nudge: 'seen' | { dueInMs: number };
  /** The shop order's HINT line items (hint.requested events) and how many of them sent a hint mail. */
  shop: { hints: number; mailed: number };
  lockedOut: boolean;
  paid: boolean;
  liveMapUrl: string;
}

/** The engine did something other than what the demo expects (it says what and where to look). */
export class DemoError extends EngineError {
  override readonly name = 'DemoError';
  readonly code = 'DEMO_FAILED';
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Plays the demo hunt and returns what happened. */
export async function playDemo(options: DemoOptions): Promise<DemoSummary> {
  const { url, secrets, sandbox, runId, log } = options;
  const base = url.replace(/\/+$/, '');
  const counts = await fetchJson<LiveCounts>(`${base}/live-map/counts`, 'the engine (is `npm start` running?)');
  const speed = counts.config.demoSpeed ?? 1;
  const hunt = `demo-${runId}`;
  const team = (name: string, role: TeamRole): DemoTeam => {
    const key = `${name}-${runId}`;
    const workflowId = `team/${key}`;
    return {
      key,
      role,
      workflowId,
      webUiUrl: `${options.webUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(options.namespace)}/workflows/${encodeURIComponent(workflowId)}`,
    };
  };
  const [winner, stuck, guessers] = [
    team('red-foxes', 'winner'),
    team('blue-owls', 'stuck'),
    team('green-turtles', 'locked out'),
  ];
  const teams = [winner, stuck, guessers];
  const email = (t: DemoTeam) => `captain@${t.key}.example`;

  // Payments come from Stripe in Stripe's own shape (sendStripePayment); the apps send CloudEvents.
  const senders: Record<'scanners' | 'game', HttpSender> = {
    scanners: createHttpSender({ url: base, source: 'scanners', apiKey: secrets.scanners, wait: true }),
    game: createHttpSender({ url: base, source: 'game', hubSecret: secrets.game, wait: true }),
  };
  let eventsSent = 0;
  const send = async (source: keyof typeof senders, type: string, data: Record<string, unknown>, what: string) => {
    const result = await senders[source].send({ type, data, id: `demo-${runId}-${++eventsSent}` });
    const fired = (result.body as { fired?: string[] } | undefined)?.fired ?? [];
    log(`    ✓ ${what}${fired.length > 0 ? ` → fired ${fired.join(', ')}` : ''}`);
    await sleep(options.paceMs);
    return fired;
  };
  const firstSeq = sandbox ? Math.max(0, ...(await sandbox.requests()).map((r) => r.seq)) : 0;
  const demoRequests = async () => (sandbox ? (await sandbox.requests()).filter((r) => r.seq > firstSeq) : []);
  const waitForRequests = async (what: string, test: (requests: RecordedRequest[]) => boolean, timeoutMs = 60_000) => {
    if (!sandbox) return;
    const deadline = performance.now() + timeoutMs;
    while (!test(await demoRequests())) {
      if (performance.now() > deadline)
        throw new DemoError(
          `waited ${formatDuration(timeoutMs)} for ${what}; see ${sandbox.url}/_requests and the worker's log`,
        );
      await sleep(250);
    }
  };
  const mailsTo = (requests: RecordedRequest[], t: DemoTeam, template: string) =>
    requests.filter(
      (r) =>
        r.system === 'mailer' && r.outcome === 'ok' && r.body.includes(`"${template}"`) && r.body.includes(email(t)),
    );

  log(
    `▶ Treasure hunt demo, run ${runId}, against ${base} — config ${counts.config.name} ${counts.config.version}` +
      (speed > 1 ? `, demo speed ×${speed}` : ', real durations'),
  );

  log("  1. Three teams register and pay (Stripe webhooks in Stripe's shape and signature, POST /sources/payments)");
  for (const t of teams) {
    const payment = {
      eventId: `evt_demo_${runId}_${++eventsSent}`,
      teamId: t.key,
      huntId: hunt,
      amount: 4000,
      currency: 'eur',
      email: email(t),
    };
    const fired = await sendStripePayment(base, secrets.payments, payment);
    log(`    ✓ ${t.key} paid 40 EUR (${payment.eventId})${fired.length > 0 ? ` → fired ${fired.join(', ')}` : ''}`);
    await sleep(options.paceMs);
  }
  log('  2. Captains sign the safety waiver (game app, hub signature)');
  for (const t of teams) await send('game', 'waiver.signed', { teamId: t.key }, `${t.key} signed the waiver`);
  await waitForRequests('the first clues and ready mails', (r) =>
    teams.every((t) => mailsTo(r, t, 'first-clue').length > 0 && mailsTo(r, t, 'ready').length > 0),
  );

  log('  3. The mailer has a bad moment: its next 2 requests fail (sandbox POST /_control "fail first 2")');
  let retried: DemoSummary['retried'];
  if (sandbox) {
    await sandbox.control('mailer', 'fail first 2');
  } else {
    log('    (no sandbox reachable: skipping the partner failure)');
  }
  await send(
    'scanners',
    'checkpoint.scanned',
    { teamId: winner.key, huntId: hunt, checkpoint: 'cp-1' },
    `${winner.key} scanned cp-1`,
  );
  if (sandbox) {
    await waitForRequests('the retried clue mail', (r) => mailsTo(r, winner, 'next-clue').length > 0);
    const attempts = (await demoRequests()).filter((r) => r.system === 'mailer' && r.path.includes('/clues'));
    retried = { connector: 'mailer', attempts: attempts.length };
    log(
      `    ✓ the clue mail failed ${attempts.length - 1}× (503), Temporal retried it, attempt ${attempts.length} went through`,
    );
  }

  log('  4. Teams scan checkpoints and answer riddles');
  await send(
    'game',
    'answer.submitted',
    { teamId: winner.key, riddle: 'clock-tower', correct: true },
    `${winner.key} answered the clock-tower riddle right`,
  );
  for (const cp of ['cp-1', 'cp-2']) {
    await send(
      'scanners',
      'checkpoint.scanned',
      { teamId: stuck.key, huntId: hunt, checkpoint: cp },
      `${stuck.key} scanned ${cp}`,
    );
  }
  await send(
    'scanners',
    'checkpoint.scanned',
    { teamId: guessers.key, huntId: hunt, checkpoint: 'cp-1' },
    `${guessers.key} scanned cp-1`,
  );
  for (const cp of ['cp-2', 'cp-3', 'cp-4']) {
    await send(
      'scanners',
      'checkpoint.scanned',
      { teamId: winner.key, huntId: hunt, checkpoint: cp },
      `${winner.key} scanned ${cp}`,
    );
  }

  log(
    `  5. ${stuck.key} buys hints in the hunt's shop (a Shopify orders/paid webhook, HMAC as Shopify signs, POST /sources/shop)`,
  );
  const order = {
    id: 5_800_000_000 + eventsSent,
    webhookId: `demo-${runId}-order-1`,
    teamId: stuck.key,
    email: email(stuck),
    currency: 'EUR',
    items: [
      { sku: 'HINT', title: 'Hint', quantity: 1, price: '2.00' },
      { sku: 'HINT', title: 'Hint', quantity: 1, price: '2.00' },
      { sku: 'CAP', title: 'Team cap', quantity: 1, price: '12.00' },
    ],
  };
  const hintsFired = await sendShopifyOrder(base, secrets.shop, order);
  eventsSent += hintsFired.length;
  const mailed = hintsFired.filter((fired) => fired.includes('send-hint')).length;
  log(
    `    ✓ order ${order.webhookId}: ${hintsFired.length} HINT line items → ${hintsFired.length} hint.requested (the cap is not a hint); ` +
      `send-hint fired for ${mailed} (at most one hint every ten minutes)`,
  );
  if (hintsFired.length !== 2 || mailed !== 1)
    throw new DemoError(
      `the shop order gave ${hintsFired.length} hint.requested and ${mailed} hint mails (expected 2 and 1); check the shop source's mapping and the send-hint rule`,
    );
  await waitForRequests(`the hint mail to ${stuck.key}`, (r) => mailsTo(r, stuck, 'hint').length > 0);
  const shop: DemoSummary['shop'] = { hints: hintsFired.length, mailed };
  await sleep(options.paceMs);

  log(`  6. ${guessers.key} guesses wrong three times in a row`);
  let lockedOut = false;
  for (let i = 1; i <= 3; i++) {
    const fired = await send(
      'game',
      'answer.submitted',
      { teamId: guessers.key, riddle: 'old-bridge', correct: false },
      `${guessers.key} wrong answer ${i}`,
    );
    lockedOut ||= fired.includes('lock-out-guessers');
  }
  if (!lockedOut)
    throw new DemoError(`${guessers.key} was not locked out after 3 wrong answers; check the lock-out-guessers rule`);

  log(`  7. ${winner.key} scans the last checkpoint and wins`);
  await send(
    'scanners',
    'checkpoint.scanned',
    { teamId: winner.key, huntId: hunt, checkpoint: 'cp-5' },
    `${winner.key} scanned cp-5`,
  );
  await waitForRequests('the winner payout', (r) =>
    r.some((x) => x.system === 'payouts' && x.outcome === 'ok' && x.body.includes(winner.key)),
  );
  // Without the sandbox the payout cannot be seen, only trusted.
  const paid = sandbox !== undefined;
  if (sandbox) log(`    ✓ payouts paid ${winner.key} 500 EUR; the leaderboard was updated`);

  const nudgeWindow = Math.max(500, Math.round(NUDGE_WINDOW_MS / speed));
  let nudge: DemoSummary['nudge'] = { dueInMs: nudgeWindow };
  log(`  8. ${stuck.key} stops scanning: the nudge comes after ${formatDuration(nudgeWindow)} of quiet`);
  if (sandbox && nudgeWindow <= options.nudgeTimeoutMs) {
    await waitForRequests(
      `the nudge to ${stuck.key}`,
      (r) => mailsTo(r, stuck, 'nudge').length > 0,
      nudgeWindow + 60_000,
    );
    nudge = 'seen';
    log(`    ✓ ${stuck.key} got a hint by mail (a timer in its workflow fired)`);
  } else {
    log(
      `    … not waiting ${formatDuration(nudgeWindow)}: watch it arrive on the live map, or start the engine with HUNT_DEMO_SPEED=60 to see it within a minute`,
    );
  }

  const rulesFired: Record<string, number> = {};
  for (const workflowId of [...teams.map((t) => t.workflowId), `hunt/${hunt}`]) {
    const traces = await fetchJson<Array<{ verdicts: Array<{ ruleId: string; fired: boolean }> }>>(
      `${base}/entities/${workflowId}/explain`,
      `the decisions of ${workflowId}`,
    ).catch(() => []);
    for (const verdict of traces.flatMap((t) => t.verdicts)) {
      if (verdict.fired) rulesFired[verdict.ruleId] = (rulesFired[verdict.ruleId] ?? 0) + 1;
    }
  }
  let calls: DemoSummary['calls'];
  if (sandbox) {
    const requests = await demoRequests();
    const byConnector: Record<string, number> = {};
    for (const r of requests) byConnector[r.system] = (byConnector[r.system] ?? 0) + 1;
    calls = { attempts: requests.length, failed: requests.filter((r) => r.outcome === 'failed').length, byConnector };
  }
  return {
    runId,
    hunt,
    config: counts.config,
    teams,
    eventsSent,
    rulesFired,
    ...(calls && { calls }),
    ...(retried && { retried }),
    nudge,
    shop,
    lockedOut,
    paid,
    liveMapUrl: `${base}/`,
  };
}

async function fetchJson<T>(url: string, what: string): Promise<T> {
  let response: Response;
  try {
    response = await fetch(url, { headers: { accept: 'application/json' } });
  } catch (err) {
    throw new DemoError(`cannot reach ${what} at ${url}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!response.ok) throw new DemoError(`${url} answered ${response.status} while reading ${what}`);
  return (await response.json()) as T;
}

/** The summary printed at the end of the demo. */
export function formatDemoSummary(summary: DemoSummary): string {
  const fired = Object.entries(summary.rulesFired).sort(([a], [b]) => a.localeCompare(b));
  const firedTotal = fired.reduce((sum, [, n]) => sum + n, 0);
  const lines = [
    '',
    `■ Demo run ${summary.runId} done — hunt ${summary.hunt}`,
    `  events sent   ${summary.eventsSent}`,
    `  rules fired   ${firedTotal}${fired.length > 0 ? `: ${fired.map(([id, n]) => (n > 1 ? `${id} ×${n}` : id)).join(', ')}` : ''}`,
    summary.calls
      ? `  calls made    ${summary.calls.attempts} attempts (${Object.entries(summary.calls.byConnector)
          .map(([c, n]) => `${c} ${n}`)
          .join(', ')}), ${summary.calls.failed} failed and retried`
      : '  calls made    (no sandbox reachable: not counted)',
    `  shop          ${summary.shop.hints} hints bought (Shopify orders/paid), ${summary.shop.mailed} mailed (throttled to one per 10m)`,
    `  nudge         ${summary.nudge === 'seen' ? 'sent to the stuck team' : `due ${formatDuration(summary.nudge.dueInMs)} after its last scan`}`,
    '',
    '  Each team in the Temporal Web UI (events, calls, its summary in the memo):',
    ...summary.teams.map((t) => `    ${t.role.padEnd(10)} ${t.webUiUrl}`),
    `  Live map: ${summary.liveMapUrl}`,
    '',
  ];
  return lines.join('\n');
}
