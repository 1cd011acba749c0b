/** Connector success statuses in Argo Events' status-policy style: `200`, `"2xx"`, `"200-204"`. */

/** Compiles status specs to inclusive ranges, merged and sorted: `[200, "2xx"]` → `[[200, 299]]`. */
export function compileStatuses(specs: ReadonlyArray<number | string> | undefined): Array<[number, number]> {
  const ranges = (specs ?? ['2xx']).map(toRange).sort((a, b) => a[0] - b[0]);
  const merged: Array<[number, number]> = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged;
}

function toRange(spec: number | string): [number, number] {
  if (typeof spec === 'number') return [spec, spec];
  const classMatch = /^([1-5])xx$/.exec(spec);
  if (classMatch) {
    const base = Number(classMatch[1]) * 100;
    return [base, base + 99];
  }
  const [from = 0, to = from] = spec.split('-').map(Number);
  return [Math.min(from, to), Math.max(from, to)];
}

/** `[[200, 299], [304, 304]]` → `2xx, 304`. */
export function formatStatuses(ranges: ReadonlyArray<[number, number]>): string {
  return ranges
    .map(([from, to]) =>
      from === to ? String(from) : from % 100 === 0 && to === from + 99 ? `${from / 100}xx` : `${from}-${to}`,
    )
    .join(', ');
}
