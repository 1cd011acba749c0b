/** The one-line figure each reliability scenario prints: what went in, what is durable, what reached partners. */

export interface ChaosFigure {
  sent: number;
  acknowledged: number;
  /** Acknowledged events found in entity histories (each counted once per entity history it appears in). */
  inHistory: number;
  actionsExpected: number;
  /** Distinct idempotency keys the partner applied. */
  delivered: number;
  /** Requests the partner answered as a replay of a key it had already applied (absorbed re-deliveries). */
  duplicates: number;
  /** Anything else worth a number (dead letters, worker restarts, seconds down). */
  extra?: Record<string, number | string>;
}

/** Formats and prints one scenario's figure on its own line; returns the line. */
export function printChaosFigure(scenario: string, figure: ChaosFigure): string {
  const extra = Object.entries(figure.extra ?? {})
    .map(([name, value]) => ` ${name}=${value}`)
    .join('');
  const line =
    `[chaos] ${scenario}: sent=${figure.sent} acknowledged=${figure.acknowledged} inHistory=${figure.inHistory} ` +
    `actionsExpected=${figure.actionsExpected} delivered=${figure.delivered} duplicates=${figure.duplicates}${extra}`;
  console.log(line);
  return line;
}
