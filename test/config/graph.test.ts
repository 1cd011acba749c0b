import { beforeAll, describe, expect, it } from 'vitest';
import type { CompiledConfig } from '../../src/config/index.js';
import { loadCompiledConfig } from '../../src/config/index.js';
import { buildGraph } from '../../src/config/graph.js';
import { toDot, toHtml, toMermaid } from '../../src/config/graph-render.js';

let config: CompiledConfig;
beforeAll(async () => {
  config = await loadCompiledConfig('examples/treasure-hunt/hunt.yaml');
});

describe('buildGraph', () => {
  it('has one node per source, event, rule, connector and entity, with unique ids', () => {
    const { nodes } = buildGraph(config);
    const count = (kind: string) => nodes.filter((n) => n.kind === kind).length;
    expect(count('source')).toBe(6);
    expect(count('event')).toBe(16);
    expect(count('rule')).toBe(19);
    expect(count('connector')).toBe(4);
    expect(count('entity')).toBe(2);
    expect(new Set(nodes.map((n) => n.id)).size).toBe(nodes.length);
  });

  it('links sources → events → rules → connectors, and emitted events back in', () => {
    const { edges, nodes } = buildGraph(config);
    const ids = new Set(nodes.map((n) => n.id));
    for (const edge of edges) {
      expect(ids.has(edge.from), edge.from).toBe(true);
      expect(ids.has(edge.to), edge.to).toBe(true);
    }
    expect(edges).toContainEqual({ from: 'source:scanners', to: 'event:checkpoint.scanned', label: 'sends' });
    expect(edges).toContainEqual({ from: 'event:checkpoint.scanned', to: 'rule:nudge-stuck-team', label: 'unless' });
    expect(edges).toContainEqual({ from: 'event:answer.submitted', to: 'rule:quick-solver-bonus', label: 'within' });
    expect(edges).toContainEqual({ from: 'rule:send-first-clue', to: 'connector:mailer', label: 'first clue' });
    expect(edges).toContainEqual({ from: 'rule:finish-hunt', to: 'event:team.finished', label: 'emits' });
    expect(edges).toContainEqual({
      from: 'rule:pay-winner',
      to: 'connector:mailer',
      label: 'on failure: payout failed alert',
    });
    expect(edges).toContainEqual({ from: 'rule:retire-team', to: 'entity:team', label: 'ends' });
    // Result events: a call's answer and a started workflow's outcome come back from the rule that made them.
    expect(edges).toContainEqual({
      from: 'rule:pay-winner',
      to: 'event:payouts.responded',
      label: 'payouts responded',
    });
    expect(edges).toContainEqual({
      from: 'rule:finish-hunt',
      to: 'event:prize.shipped',
      label: 'prizeFulfilment completed',
    });
    expect(edges).toContainEqual({
      from: 'rule:finish-hunt',
      to: 'event:prize.failed',
      label: 'prizeFulfilment failed',
    });
    expect(edges).toContainEqual({ from: 'event:team.joined', to: 'entity:hunt', label: 'updates state' });
  });
});

describe('graph renderers', () => {
  it('mermaid: a flowchart with every node and edge', () => {
    const graph = buildGraph(config);
    const text = toMermaid(graph);
    expect(text.startsWith('flowchart LR\n')).toBe(true);
    expect(text).toContain('{{"checkpoint.scanned"}}');
    expect(text.split('\n').filter((l) => l.includes('-->')).length).toBe(graph.edges.length);
  });

  it('dot: a digraph with quoted ids', () => {
    const text = toDot(buildGraph(config));
    expect(text).toMatch(/^digraph config \{/);
    expect(text).toContain('"rule:finish-hunt" -> "event:team.finished" [label="emits"];');
  });

  it('html: one self-contained page with an inline SVG and nothing fetched from outside', () => {
    const html = toHtml(buildGraph(config), config.name);
    expect(html).toContain('<svg');
    expect(html.match(/<g class="node /g)?.length).toBe(47);
    expect(html).not.toMatch(/\b(src|href)\s*=\s*["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b|<script\s+src|@import|url\(\s*["']?http/i);
  });

  it('html escapes labels', () => {
    const html = toHtml(
      { nodes: [{ id: 'rule:x', kind: 'rule', label: '<script>alert(1)</script>' }], edges: [] },
      'a & b',
    );
    expect(html).not.toContain('<script>alert');
    expect(html).toContain('a &#38; b');
  });
});
