/**
 * What the treasure hunt's partner systems answer when healthy: just enough of a real API shape
 * (an id per accepted request) that connector calls and their recorded results look real.
 */

export const DEFAULT_SANDBOX_SYSTEMS = ['mailer', 'payouts', 'leaderboard'] as const;

export interface PartnerResponse {
  status: number;
  body: string;
}

/** The healthy answer of `system` to its `seq`-th accepted request. */
export function partnerResponse(system: string, method: string, seq: number): PartnerResponse {
  const json = (status: number, body: unknown): PartnerResponse => ({ status, body: JSON.stringify(body) });
  switch (system) {
    case 'mailer':
      return json(202, { messageId: `msg-${seq}`, accepted: true });
    case 'payouts':
      // A payout provider answers the transfer it made (the reference config keeps it: pay-winner's `result`).
      return json(201, { payoutId: `po-${seq}`, transferId: `tr_${1000 + seq}`, status: 'paid' });
    case 'leaderboard':
      return method === 'GET' ? json(200, { entries: [] }) : json(200, { updated: true, revision: seq });
    default:
      return json(200, { ok: true, system, id: `${system}-${seq}` });
  }
}
