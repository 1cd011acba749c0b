/** Text of an interleaving exploration, as `hunt simulate --interleave` prints it. */
import type { InterleavingOutcome, InterleavingResult } from './interleavings.js';

function showState(entity: InterleavingOutcome['entities'][string] | undefined): string {
  if (!entity) return '(never reached)';
  return `${JSON.stringify(entity.state)}${entity.ended ? ' (ended)' : ''}`;
}

/** The exploration in words: how many orders and outcomes; the first outcome whole, the others by what differs. */
export function formatInterleavings(result: InterleavingResult): string {
  const lines = [`Config ${result.config.name} (${result.config.version.slice(0, 12)})`, ''];
  const scope = result.complete ? 'every possible order' : `stopped after ${result.orders} orders (--max-orders)`;
  const count = result.outcomes.length;
  lines.push(
    `Explored ${result.orders} order${result.orders === 1 ? '' : 's'} in which emitted events may arrive (${scope}): ` +
      `${count} outcome${count === 1 ? '' : 's'}${count === 1 ? ' — the order does not matter here' : ''}.`,
  );
  const [first] = result.outcomes;
  result.outcomes.forEach((outcome, i) => {
    const tag = outcome.default ? ", the simulator's default order" : '';
    lines.push('', `Outcome ${i + 1} — ${outcome.orders} order${outcome.orders === 1 ? '' : 's'}${tag}`);
    const ids = [...new Set([...Object.keys(first!.entities), ...Object.keys(outcome.entities)])].sort();
    for (const id of ids) {
      const mine = showState(outcome.entities[id]);
      if (i > 0 && mine === showState(first!.entities[id])) continue;
      lines.push(`  ${id}: ${mine}`);
    }
    const keys = new Set(outcome.actions.map((a) => a.idempotencyKey));
    const firstKeys = new Set(first!.actions.map((a) => a.idempotencyKey));
    if (i === 0) {
      lines.push(
        `  actions: ${outcome.actions.length === 0 ? 'none' : outcome.actions.map((a) => a.idempotencyKey).join(', ')}`,
      );
    } else {
      const added = outcome.actions.filter((a) => !firstKeys.has(a.idempotencyKey)).map((a) => a.idempotencyKey);
      const missing = first!.actions.filter((a) => !keys.has(a.idempotencyKey)).map((a) => a.idempotencyKey);
      if (added.length > 0) lines.push(`  actions only here: ${added.join(', ')}`);
      if (missing.length > 0) lines.push(`  actions missing here: ${missing.join(', ')}`);
      if (
        added.length === 0 &&
        missing.length === 0 &&
        JSON.stringify(outcome.actions) !== JSON.stringify(first!.actions)
      )
        lines.push('  the same actions, with different data');
    }
    lines.push(`  for example: ${outcome.example.join(' → ')}`);
  });
  return lines.join('\n');
}
