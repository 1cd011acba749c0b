/** Renders a configuration graph as Mermaid, Graphviz DOT, or one self-contained HTML page (inline SVG). */
import type { ConfigGraph, GraphNode, GraphNodeKind } from './graph.js';

export type GraphFormat = 'mermaid' | 'dot' | 'html';
export const GRAPH_FORMATS: readonly GraphFormat[] = ['mermaid', 'dot', 'html'];

const MERMAID_SHAPES: Record<GraphNodeKind, [string, string]> = {
  source: ['([', '])'],
  event: ['{{', '}}'],
  rule: ['[', ']'],
  connector: ['[(', ')]'],
  entity: ['((', '))'],
};

/** Mermaid flowchart, left to right. */
export function toMermaid(graph: ConfigGraph): string {
  const ids = new Map(graph.nodes.map((node, i) => [node.id, `n${i}`]));
  const text = (label: string): string => `"${label.replace(/"/g, '#quot;')}"`;
  const lines = ['flowchart LR'];
  for (const node of graph.nodes) {
    const [open, close] = MERMAID_SHAPES[node.kind];
    lines.push(`  ${ids.get(node.id)}${open}${text(node.label)}${close}`);
  }
  for (const edge of graph.edges) {
    const from = ids.get(edge.from);
    const to = ids.get(edge.to);
    if (from === undefined || to === undefined) continue;
    lines.push(edge.label ? `  ${from} -->|${text(edge.label)}| ${to}` : `  ${from} --> ${to}`);
  }
  for (const kind of Object.keys(MERMAID_SHAPES) as GraphNodeKind[]) {
    const members = graph.nodes.filter((n) => n.kind === kind).map((n) => ids.get(n.id));
    if (members.length > 0) lines.push(`  class ${members.join(',')} ${kind}`);
  }
  for (const [kind, color] of Object.entries(COLORS)) lines.push(`  classDef ${kind} fill:${color},stroke:#333`);
  return `${lines.join('\n')}\n`;
}

const DOT_SHAPES: Record<GraphNodeKind, string> = {
  source: 'house',
  event: 'hexagon',
  rule: 'box',
  connector: 'cylinder',
  entity: 'ellipse',
};

/** Graphviz DOT, left to right. */
export function toDot(graph: ConfigGraph): string {
  const quote = (s: string): string => JSON.stringify(s);
  const lines = ['digraph config {', '  rankdir=LR;', '  node [fontname="Helvetica", style=filled];'];
  for (const node of graph.nodes) {
    lines.push(
      `  ${quote(node.id)} [label=${quote(node.label)}, shape=${DOT_SHAPES[node.kind]}, fillcolor=${quote(COLORS[node.kind])}];`,
    );
  }
  for (const edge of graph.edges) {
    lines.push(`  ${quote(edge.from)} -> ${quote(edge.to)}${edge.label ? ` [label=${quote(edge.label)}]` : ''};`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

const COLORS: Record<GraphNodeKind, string> = {
  source: '#dbeafe',
  event: '#fef3c7',
  rule: '#dcfce7',
  connector: '#fce7f3',
  entity: '#ede9fe',
};

const COLUMN: Record<GraphNodeKind, number> = { source: 0, event: 1, rule: 2, connector: 3, entity: 3 };
const NODE_W = 200;
const NODE_H = 30;
const GAP_X = 120;
const GAP_Y = 14;
const MARGIN = 20;

interface Placed extends GraphNode {
  x: number;
  y: number;
}

/** Columns by kind (sources, events, rules, connectors and entities), stacked top to bottom in config order. */
function layout(graph: ConfigGraph): { placed: Placed[]; width: number; height: number } {
  const heights = [0, 0, 0, 0];
  let firstEntity = true;
  const placed = graph.nodes.map((node): Placed => {
    const column = COLUMN[node.kind];
    // Entities share the last column with connectors: leave a gap between the two groups.
    if (node.kind === 'entity' && firstEntity && heights[column]! > 0) heights[column]! += NODE_H;
    if (node.kind === 'entity') firstEntity = false;
    const y = MARGIN + heights[column]!;
    heights[column]! += NODE_H + GAP_Y;
    return { ...node, x: MARGIN + column * (NODE_W + GAP_X), y };
  });
  return { placed, width: MARGIN * 2 + 4 * NODE_W + 3 * GAP_X, height: MARGIN * 2 + Math.max(...heights, NODE_H) };
}

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** Inline SVG of the graph; nodes and edges carry `data-id` / `data-from` / `data-to` for scripting. */
export function toSvg(graph: ConfigGraph): string {
  const { placed, width, height } = layout(graph);
  const byId = new Map(placed.map((node) => [node.id, node]));
  const paths: string[] = [];
  for (const edge of graph.edges) {
    const from = byId.get(edge.from);
    const to = byId.get(edge.to);
    if (!from || !to) continue;
    const forward = to.x > from.x;
    const x1 = forward ? from.x + NODE_W : from.x;
    const x2 = forward ? to.x : to.x + NODE_W;
    const y1 = from.y + NODE_H / 2;
    const y2 = to.y + NODE_H / 2;
    // Backward edges (a rule emitting an event) leave the left side and enter the right side.
    const bend = (x2 - x1) / 2;
    const d = `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`;
    const title = `${from.label} → ${to.label}${edge.label ? ` (${edge.label})` : ''}`;
    paths.push(
      `<path class="edge${forward ? '' : ' back'}" data-from="${escapeXml(edge.from)}" data-to="${escapeXml(edge.to)}" d="${d}"><title>${escapeXml(title)}</title></path>`,
    );
  }
  const boxes = placed.map((node) => {
    const label = node.label.length > 28 ? `${node.label.slice(0, 27)}…` : node.label;
    return (
      `<g class="node ${node.kind}" data-id="${escapeXml(node.id)}" transform="translate(${node.x},${node.y})">` +
      `<rect width="${NODE_W}" height="${NODE_H}" rx="${node.kind === 'rule' ? 4 : 14}" fill="${COLORS[node.kind]}"/>` +
      `<text x="${NODE_W / 2}" y="${NODE_H / 2 + 4}">${escapeXml(label)}</text><title>${node.kind} ${escapeXml(node.label)}</title></g>`
    );
  });
  const headers = (['source', 'event', 'rule', 'connector'] as const).map(
    (kind) =>
      `<text class="heading" x="${MARGIN + COLUMN[kind] * (NODE_W + GAP_X) + NODE_W / 2}" y="14">${kind}s${kind === 'connector' ? ' / entities' : ''}</text>`,
  );
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 -6 ${width} ${height + 6}" width="${width}" height="${height + 6}">` +
    `<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#555"/></marker></defs>` +
    `${headers.join('')}<g class="edges">${paths.join('')}</g><g class="nodes">${boxes.join('')}</g></svg>`
  );
}

/** One self-contained page: inline SVG, inline CSS and a few lines of inline JS (hover highlights); nothing fetched. */
export function toHtml(graph: ConfigGraph, title: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeXml(title)} — configuration graph</title>
<style>
  body { font-family: system-ui, sans-serif; margin: 16px; color: #222; }
  svg text { font-size: 12px; text-anchor: middle; font-family: ui-monospace, monospace; }
  svg text.heading { font-family: system-ui, sans-serif; font-weight: bold; fill: #555; }
  .node rect { stroke: #444; stroke-width: 1; }
  .node { cursor: pointer; }
  .edge { fill: none; stroke: #999; stroke-width: 1.2; marker-end: url(#arrow); }
  .edge.back { stroke-dasharray: 4 3; }
  .dim .node:not(.lit) { opacity: 0.25; }
  .dim .edge:not(.lit) { opacity: 0.1; }
  .edge.lit { stroke: #d9480f; stroke-width: 2; }
  .legend span { display: inline-block; padding: 2px 8px; margin-right: 6px; border: 1px solid #444; border-radius: 8px; font-size: 12px; }
</style>
</head>
<body>
<h1>${escapeXml(title)}</h1>
<p class="legend">${(Object.keys(COLORS) as GraphNodeKind[]).map((kind) => `<span style="background:${COLORS[kind]}">${kind}</span>`).join('')} — hover a node to follow its connections; dashed edges are emitted events.</p>
<div id="graph">${toSvg(graph)}</div>
<script>
  const root = document.getElementById('graph');
  for (const node of root.querySelectorAll('.node')) {
    node.addEventListener('mouseenter', () => {
      const id = node.dataset.id;
      root.classList.add('dim');
      node.classList.add('lit');
      for (const edge of root.querySelectorAll('.edge')) {
        if (edge.dataset.from !== id && edge.dataset.to !== id) continue;
        edge.classList.add('lit');
        const other = edge.dataset.from === id ? edge.dataset.to : edge.dataset.from;
        root.querySelector('.node[data-id="' + CSS.escape(other) + '"]')?.classList.add('lit');
      }
    });
    node.addEventListener('mouseleave', () => {
      root.classList.remove('dim');
      for (const lit of root.querySelectorAll('.lit')) lit.classList.remove('lit');
    });
  }
</script>
</body>
</html>
`;
}

/** Renders a graph in the given format. */
export function renderGraph(graph: ConfigGraph, format: GraphFormat, title: string): string {
  if (format === 'mermaid') return toMermaid(graph);
  if (format === 'dot') return toDot(graph);
  return toHtml(graph, title);
}
