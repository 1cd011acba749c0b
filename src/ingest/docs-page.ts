/** A self-contained HTML page documenting the ingest API for this configuration (no CDN, no scripts). */
import type { CompiledConfig } from '../config/compiled.js';
import { PROBLEM_CODES } from './openapi-document.js';

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** Renders GET /docs: endpoints, every event type with its schema and a curl example, and the problem codes. */
export function renderDocsPage(config: CompiledConfig): string {
  const events = Object.values(config.events)
    .map((e) => {
      const example = {
        specversion: '1.0',
        id: 'evt-1',
        source: e.sources[0] ?? 'source',
        type: e.type,
        data: e.example ?? {},
      };
      const curl = `curl -X POST http://127.0.0.1:3000/events \\\n  -H 'content-type: application/cloudevents+json' \\\n  -d '${JSON.stringify(example)}'`;
      return `<section id="event-${escapeHtml(e.type)}"><h3>${escapeHtml(e.type)}</h3>
<p>${escapeHtml(e.description ?? '')} Entity: <code>${escapeHtml(e.entity)}</code>. Sources: ${e.sources.map((s) => `<code>${escapeHtml(s)}</code>`).join(', ')}.</p>
<details><summary>data schema</summary><pre>${escapeHtml(JSON.stringify(e.schema, null, 2))}</pre></details>
<pre>${escapeHtml(curl)}</pre></section>`;
    })
    .join('\n');
  const problems = Object.entries(PROBLEM_CODES)
    .map(
      ([code, when]) => `<tr id="${code.toLowerCase()}"><td><code>${code}</code></td><td>${escapeHtml(when)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(config.name)} — ingest API</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}pre{background:#f4f4f4;padding:.75rem;overflow:auto}td{padding:.2rem .6rem;vertical-align:top}code{font-size:90%}</style>
</head><body>
<h1>${escapeHtml(config.name)} — ingest API</h1>
<p>Config version <code>${escapeHtml(config.version)}</code>. Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI 3.1).</p>
<h2>Endpoints</h2>
<ul>
<li><code>POST /events</code> — CloudEvents 1.0: structured (<code>application/cloudevents+json</code> or <code>application/json</code>), binary (<code>ce-*</code> headers, JSON body = data), batch (<code>application/cloudevents-batch+json</code>). <code>?wait=true</code> or <code>Prefer: wait</code> waits for the entity's answer. 202 = durable in Temporal; batches answer 202 (all taken), 207 (some), 422 (none valid), 503 (Temporal took none).</li>
<li><code>GET /entities/{type}/{key}</code>, <code>…/events</code>, <code>…/explain[?eventId=]</code>, <code>POST …/dead-letters/{id}/redrive</code></li>
<li><code>GET /healthz</code>, <code>GET /readyz</code>, <code>GET /metrics</code></li>
</ul>
<h2>Event types</h2>
${events}
<h2>Problems</h2>
<p>Refusals are <code>application/problem+json</code> (RFC 9457) with <code>code</code> and <code>errors: [{ pointer, detail }]</code> listing every problem.</p>
<table>${problems}</table>
</body></html>`;
}
