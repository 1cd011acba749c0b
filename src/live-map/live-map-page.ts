/**
 * The live map page (`GET /` of the ingest API): the configuration's wiring drawn as in `hunt graph`,
 * with live counts overlaid and refreshed from `/live-map/counts`. Self-contained: inline SVG, CSS and
 * script, nothing fetched from elsewhere. Rules are keyboard-reachable buttons; choosing one shows it in
 * plain words and links to the Temporal Web UI filtered to the entities where it fired.
 */
import type { CompiledConfig } from '../config/compiled.js';
import { describeRule } from '../config/docs.js';
import { formatDuration } from '../config/durations.js';
import { buildGraph, ruleEntity } from '../config/graph.js';
import { toSvg } from '../config/graph-render.js';
import { operationsQuery } from '../operations/operations-list.js';
import { ruleFiredQuery } from './live-counts.js';

/** The Web UI search for every operation workflow. */
const OPERATIONS_QUERY = operationsQuery();

export interface LiveMapPageOptions {
  /** Temporal Web UI base URL, e.g. `http://localhost:8233`; without it the page shows the query to paste. */
  webUiUrl?: string;
  namespace: string;
  /** How often the page refreshes its counts (ms). */
  refreshMs: number;
}

/** What the page knows of each rule, for the details panel. */
interface RuleInfo {
  id: string;
  entity?: string;
  description?: string;
  words: string;
  query: string;
  /** Web UI list of the entities where the rule fired, when the UI's address is known. */
  link?: string;
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** The Web UI's workflow list filtered by a visibility query. */
export function webUiListUrl(webUiUrl: string, namespace: string, query: string): string {
  return `${webUiUrl.replace(/\/+$/, '')}/namespaces/${encodeURIComponent(namespace)}/workflows?query=${encodeURIComponent(query)}`;
}

/** Renders the live map page for a configuration. */
export function renderLiveMapPage(config: CompiledConfig, options: LiveMapPageOptions): string {
  const rules: RuleInfo[] = config.rules.map((rule) => {
    const query = ruleFiredQuery(rule.id);
    const entity = ruleEntity(config, rule);
    return {
      id: rule.id,
      ...(entity !== undefined && { entity }),
      ...(rule.description !== undefined && { description: rule.description }),
      words: describeRule(rule),
      query,
      ...(options.webUiUrl !== undefined && { link: webUiListUrl(options.webUiUrl, options.namespace, query) }),
    };
  });
  // JSON inside <script> must not contain "</script>": escape every "<".
  const rulesJson = JSON.stringify(rules).replace(/</g, '\\u003c');
  const speed = config.demoSpeed
    ? `<p class="notice" role="note">Demo speed ×${config.demoSpeed}: every rule window, debounce and throttle is ${config.demoSpeed} times shorter than the configuration says (an hour lasts ${formatDuration(Math.max(1, Math.round(3_600_000 / config.demoSpeed)))}). Start without <code>HUNT_DEMO_SPEED</code> for real durations.</p>`
    : '';
  const rows = rules
    .map(
      (rule) =>
        `<tr data-rule="${escapeHtml(rule.id)}"><th scope="row"><button type="button" class="rule-button" data-rule="${escapeHtml(rule.id)}">${escapeHtml(rule.id)}</button></th>` +
        `<td>${escapeHtml(rule.entity ?? '')}</td><td class="fired" data-count-for="rule:${escapeHtml(rule.id)}">0</td><td>${escapeHtml(rule.description ?? '')}</td></tr>`,
    )
    .join('');
  const sourceRows = Object.values(config.sources)
    .map((source) => {
      const url = source.webhook
        ? `<code>POST /sources/${escapeHtml(source.name)}</code> (${escapeHtml(source.webhook.preset)} webhook)`
        : '';
      const events = source.auth.type === 'webhookOnly' ? '' : '<code>POST /events</code>';
      return `<tr><th scope="row">${escapeHtml(source.name)}</th><td>${[url, events].filter(Boolean).join(', ')}</td></tr>`;
    })
    .join('');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(config.name)} — live map</title>
<style>
  :root { color-scheme: light; --ink: #1a1a1a; --muted: #4a4a4a; --alert: #b42318; --focus: #1d4ed8; }
  body { font-family: system-ui, sans-serif; margin: 0; color: var(--ink); background: #fff; line-height: 1.4; }
  header, main { padding: 0 20px; }
  header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 24px; border-bottom: 1px solid #ccc; }
  h1 { font-size: 1.4rem; margin: 12px 0; }
  h2 { font-size: 1.1rem; margin: 16px 0 8px; }
  .version { color: var(--muted); font-size: 0.9rem; }
  .notice { background: #fff7d6; border: 1px solid #b08800; padding: 6px 10px; border-radius: 6px; }
  dl.totals { display: flex; flex-wrap: wrap; gap: 8px; margin: 12px 0; padding: 0; }
  dl.totals div { border: 1px solid #999; border-radius: 8px; padding: 6px 12px; min-width: 8rem; }
  dl.totals dt { font-size: 0.8rem; color: var(--muted); }
  dl.totals dd { margin: 0; font-size: 1.5rem; font-variant-numeric: tabular-nums; }
  dl.totals div.alert { border-color: var(--alert); }
  dl.totals div.alert dd { color: var(--alert); }
  .status { color: var(--muted); font-size: 0.85rem; }
  .status.problem { color: var(--alert); }
  .layout { display: grid; grid-template-columns: minmax(0, 1fr) 18rem; gap: 20px; align-items: start; }
  @media (max-width: 1000px) { .layout { grid-template-columns: 1fr; } }
  #graph { overflow: auto; border: 1px solid #ddd; border-radius: 8px; }
  /* Scale the drawing to the column so a laptop screen shows all four columns at once. */
  #graph svg { display: block; width: 100%; height: auto; min-width: 900px; }
  svg text { font-size: 12px; text-anchor: middle; font-family: ui-monospace, monospace; fill: #111; }
  svg text.heading { font-family: system-ui, sans-serif; font-weight: bold; fill: #333; }
  svg text.count { font-size: 11px; text-anchor: end; font-family: system-ui, sans-serif; font-weight: 600; fill: #111;
    paint-order: stroke; stroke: #fff; stroke-width: 3px; }
  svg text.count.alert { fill: var(--alert); }
  .node rect { stroke: #444; stroke-width: 1; }
  .node.rule { cursor: pointer; }
  .node.rule:focus { outline: none; }
  .node.rule:focus rect, .node.selected rect { stroke: var(--focus); stroke-width: 3; }
  .node.changed rect { stroke: #d9480f; stroke-width: 3; }
  .edge { fill: none; stroke: #8a8a8a; stroke-width: 1.2; marker-end: url(#arrow); }
  .edge.back { stroke-dasharray: 4 3; }
  .dim .node:not(.lit) { opacity: 0.3; }
  .dim .edge:not(.lit) { opacity: 0.12; }
  .edge.lit { stroke: #d9480f; stroke-width: 2; }
  @media (prefers-reduced-motion: no-preference) { .node rect { transition: stroke 0.4s; } }
  aside { border: 1px solid #ccc; border-radius: 8px; padding: 4px 14px 12px; position: sticky; top: 12px; }
  aside code, td code { background: #f2f2f2; padding: 1px 4px; border-radius: 4px; word-break: break-all; }
  a { color: #1d4ed8; }
  a:focus-visible, button:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
  table { border-collapse: collapse; width: 100%; margin-bottom: 24px; }
  th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid #ddd; vertical-align: top; }
  td.fired { font-variant-numeric: tabular-nums; text-align: right; }
  .rule-button { font: inherit; font-family: ui-monospace, monospace; background: none; border: none; color: #1d4ed8;
    text-decoration: underline; cursor: pointer; padding: 0; }
  .legend span { display: inline-block; padding: 1px 8px; margin-right: 6px; border: 1px solid #444; border-radius: 8px; font-size: 12px; }
</style>
</head>
<body>
<header>
  <h1>${escapeHtml(config.name)} — live map</h1>
  <span class="version">config version <code>${escapeHtml(config.version)}</code></span>
  <span id="status" class="status" role="status">loading counts…</span>
</header>
<main>
${speed}
<h2 id="totals-heading">Since this process started</h2>
<dl class="totals" aria-labelledby="totals-heading">
  <div><dt>events in</dt><dd id="total-eventsIn">–</dd></div>
  <div><dt>rules fired (entity × rule)</dt><dd id="total-rulesFired">–</dd></div>
  <div><dt>calls made</dt><dd id="total-callsOk">–</dd></div>
  <div id="box-callsFailed"><dt>call attempts failed</dt><dd id="total-callsFailed">–</dd></div>
  <div id="box-deadLetters"><dt>entities with dead letters</dt><dd id="total-deadLetters">–</dd></div>
  <div><dt>entities</dt><dd id="total-entities">–</dd></div>
</dl>
<div class="layout">
  <section aria-labelledby="map-heading">
    <h2 id="map-heading">Wiring: sources → events → rules → connectors and entities</h2>
    <p class="legend"><span style="background:#dbeafe">source</span><span style="background:#fef3c7">event</span><span style="background:#dcfce7">rule</span><span style="background:#fce7f3">connector</span><span style="background:#ede9fe">entity</span> Choose a rule (click, or Tab then Enter) to read it in plain words. Dashed edges are emitted events.</p>
    <div id="graph" role="group" aria-label="Configuration graph with live counts">${toSvg(buildGraph(config))}</div>
  </section>
  <aside id="details" aria-labelledby="details-heading" aria-live="polite">
    <h2 id="details-heading">Rule details</h2>
    <p id="details-body">Choose a rule on the map or in the table below.</p>
  </aside>
</div>
<section aria-labelledby="operations-heading">
  <h2 id="operations-heading">Operations: replays, redrives, pauses</h2>
  <p>Recorded in Temporal: in the Web UI, search <code>${escapeHtml(OPERATIONS_QUERY)}</code>${
    options.webUiUrl !== undefined
      ? ` (<a href="${escapeHtml(webUiListUrl(options.webUiUrl, options.namespace, OPERATIONS_QUERY))}" target="_blank" rel="noopener">open</a>)`
      : ''
  }, or run <code>hunt operations</code>.</p>
  <table>
    <thead><tr><th scope="col">kind</th><th scope="col">target</th><th scope="col">status</th><th scope="col">started</th><th scope="col">summary</th></tr></thead>
    <tbody id="operations-rows"><tr><td colspan="5">none yet</td></tr></tbody>
  </table>
</section>
<section aria-labelledby="rules-heading">
  <h2 id="rules-heading">Rules</h2>
  <table>
    <thead><tr><th scope="col">rule</th><th scope="col">entity</th><th scope="col">fired in (entities)</th><th scope="col">what it is for</th></tr></thead>
    <tbody>${rows}</tbody>
  </table>
</section>
<section aria-labelledby="sources-heading">
  <h2 id="sources-heading">Sources and where they send</h2>
  <table>
    <thead><tr><th scope="col">source</th><th scope="col">URL</th></tr></thead>
    <tbody>${sourceRows}</tbody>
  </table>
</section>
</main>
<script type="application/json" id="rules-data">${rulesJson}</script>
<script>
(() => {
  const REFRESH_MS = ${Math.max(250, Math.round(options.refreshMs))};
  const rules = new Map(JSON.parse(document.getElementById('rules-data').textContent).map((r) => [r.id, r]));
  const root = document.getElementById('graph');
  const svgNs = 'http://www.w3.org/2000/svg';
  const nodeById = new Map([...root.querySelectorAll('.node')].map((n) => [n.dataset.id, n]));
  let last = {};
  // Column headings move up a little so the count above a first-row node never overlaps them.
  for (const heading of root.querySelectorAll('text.heading')) heading.setAttribute('y', '3');

  for (const [id, node] of nodeById) {
    const kind = id.slice(0, id.indexOf(':'));
    const name = id.slice(id.indexOf(':') + 1);
    if (kind === 'rule') {
      node.setAttribute('tabindex', '0');
      node.setAttribute('role', 'button');
      node.setAttribute('aria-label', 'rule ' + name + ': show details');
      node.addEventListener('click', () => showRule(name));
      node.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); showRule(name); } });
    }
    node.addEventListener('mouseenter', () => highlight(id));
    node.addEventListener('mouseleave', unhighlight);
    node.addEventListener('focus', () => highlight(id));
    node.addEventListener('blur', unhighlight);
  }
  for (const button of document.querySelectorAll('.rule-button')) {
    button.addEventListener('click', () => showRule(button.dataset.rule));
  }

  function highlight(id) {
    root.classList.add('dim');
    nodeById.get(id)?.classList.add('lit');
    for (const edge of root.querySelectorAll('.edge')) {
      if (edge.dataset.from !== id && edge.dataset.to !== id) continue;
      edge.classList.add('lit');
      nodeById.get(edge.dataset.from === id ? edge.dataset.to : edge.dataset.from)?.classList.add('lit');
    }
  }
  function unhighlight() {
    root.classList.remove('dim');
    for (const lit of root.querySelectorAll('.lit')) lit.classList.remove('lit');
  }

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
    for (const c of children) e.append(c);
    return e;
  }

  function showRule(id) {
    const rule = rules.get(id);
    if (!rule) return;
    for (const n of root.querySelectorAll('.node.selected')) n.classList.remove('selected');
    nodeById.get('rule:' + id)?.classList.add('selected');
    const fired = last['rule:' + id]?.count ?? 0;
    const body = el('div', { id: 'details-body' },
      el('h3', {}, el('code', {}, rule.id)),
      ...(rule.description ? [el('p', {}, rule.description)] : []),
      el('p', { class: 'words' }, rule.words),
      el('p', {}, 'Entity: ' + (rule.entity ?? '?') + '. Fired in ' + fired + ' entit' + (fired === 1 ? 'y' : 'ies') + ' so far.'),
      rule.link
        ? el('p', {}, el('a', { href: rule.link, target: '_blank', rel: 'noopener', id: 'rule-link' }, 'Open the entities where it fired in the Temporal Web UI'))
        : el('p', {}, 'In the Temporal Web UI, search: ', el('code', {}, rule.query)),
    );
    document.getElementById('details-body').replaceWith(body);
  }

  function badge(node, count) {
    let text = node.querySelector('text.count');
    if (!text) {
      text = document.createElementNS(svgNs, 'text');
      text.setAttribute('class', 'count');
      text.setAttribute('x', String(Number(node.querySelector('rect').getAttribute('width')) - 4));
      text.setAttribute('y', '-2');
      node.append(text);
    }
    text.textContent = count.label;
    text.classList.toggle('alert', count.alert === true);
  }

  function setTotal(key, value, alert) {
    document.getElementById('total-' + key).textContent = value === null || value === undefined ? 'n/a' : String(value);
    document.getElementById('box-' + key)?.classList.toggle('alert', Boolean(alert));
  }

  function showOperations(operations) {
    const rows = operations.map((op) =>
      el('tr', { 'data-operation': op.id, class: op.status },
        el('td', {}, op.kind), el('td', {}, el('code', {}, op.target)), el('td', {}, op.status),
        el('td', {}, new Date(op.started).toLocaleString()), el('td', {}, op.summary)));
    const body = document.getElementById('operations-rows');
    body.replaceChildren(...(rows.length > 0 ? rows : [el('tr', {}, el('td', { colspan: '5' }, 'none yet'))]));
  }

  async function refresh() {
    const status = document.getElementById('status');
    try {
      const response = await fetch('/live-map/counts', { headers: { accept: 'application/json' } });
      if (!response.ok) throw new Error('the engine answered ' + response.status);
      const counts = await response.json();
      for (const [id, count] of Object.entries(counts.nodes)) {
        const node = nodeById.get(id);
        if (!node) continue;
        badge(node, count);
        if (last[id] && last[id].count !== count.count) {
          node.classList.add('changed');
          setTimeout(() => node.classList.remove('changed'), 1200);
        }
        const cell = document.querySelector('[data-count-for="' + CSS.escape(id) + '"]');
        if (cell) cell.textContent = String(count.count);
      }
      last = counts.nodes;
      const t = counts.totals;
      setTotal('eventsIn', t.eventsIn);
      setTotal('rulesFired', t.rulesFired);
      setTotal('callsOk', t.callsOk);
      setTotal('callsFailed', t.callsFailed, t.callsFailed > 0);
      setTotal('deadLetters', t.deadLetters, t.deadLetters > 0);
      setTotal('entities', t.entities);
      if (counts.operations) showOperations(counts.operations);
      const time = new Date(counts.at).toLocaleTimeString();
      status.textContent = counts.temporal === 'ok' ? 'updated ' + time : 'updated ' + time + ' — ' + counts.temporal;
      status.classList.toggle('problem', counts.temporal !== 'ok');
    } catch (err) {
      status.textContent = 'cannot refresh: ' + err.message + ' (is the engine running?)';
      status.classList.add('problem');
    }
    setTimeout(refresh, REFRESH_MS);
  }
  void refresh();
})();
</script>
</body>
</html>
`;
}
