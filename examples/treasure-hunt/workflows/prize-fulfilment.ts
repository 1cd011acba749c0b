/**
 * The treasure hunt's "prize fulfilment": a Temporal workflow written by the hunt's own team, not by the engine.
 * The engine's `fulfil-prize` rule starts it when a team finishes (`start`), the warehouse's `prize.packed` event
 * signals it (`signal`), and its completion — or failure — comes back to the team as `prize.shipped` /
 * `prize.failed`, which the config folds into the team's state.
 */
import { ApplicationFailure, condition, defineSignal, setHandler, sleep } from '@temporalio/workflow';

export interface PrizeOrder {
  team: string;
  prize: string;
  /** A prize the warehouse cannot send (the demo's way to show a failed fulfilment). */
  unavailable?: boolean;
}

export interface PrizeShipment {
  team: string;
  prize: string;
  carrier: string;
  trackingId: string;
}

/** Prizes the warehouse has run out of (the team's own stock list; a real one would ask the warehouse). */
export const OUT_OF_STOCK: ReadonlySet<string> = new Set(['signed-map']);

/** The warehouse packed the prize: with the carrier that takes it. */
export const packedSignal = defineSignal<[{ carrier: string }]>('packed');

/** Reserves the prize, waits for the warehouse to pack it, and hands it to the carrier. */
export async function prizeFulfilment(order: PrizeOrder): Promise<PrizeShipment> {
  let carrier: string | undefined;
  setHandler(packedSignal, (packed) => {
    carrier = packed.carrier;
  });
  if (order.unavailable === true || OUT_OF_STOCK.has(order.prize)) {
    throw ApplicationFailure.nonRetryable(`prize "${order.prize}" is out of stock`, 'PrizeUnavailable');
  }
  await condition(() => carrier !== undefined);
  // The carrier's pickup: a durable timer, so a worker restart here changes nothing.
  await sleep('1 second');
  return { team: order.team, prize: order.prize, carrier: carrier!, trackingId: `trk-${order.team}-${carrier!}` };
}
