/**
 * Prometheus gauges of pauses (issue 18), read from Temporal when `/metrics` is scraped: which connectors and
 * rules are paused, and how many entities have calls waiting on each connector.
 */
import type { Client } from '@temporalio/client';
import { Gauge, type Registry } from 'prom-client';
import type { CompiledConfig } from '../config/compiled.js';
import { pauseSnapshot } from './pauses.js';

export const CONNECTOR_PAUSED_METRIC = 'hunt_connector_paused';
export const CONNECTOR_WAITING_METRIC = 'hunt_connector_waiting_entities';
export const RULE_PAUSED_METRIC = 'hunt_rule_paused';

/** Registers the pause gauges on `registry`; each scrape takes one snapshot from visibility. */
export function registerPauseMetrics(registry: Registry, client: Client, config: CompiledConfig): void {
  let snapshot: ReturnType<typeof pauseSnapshot> | undefined;
  // One snapshot per scrape, shared by the three gauges (prom-client collects them one after another).
  const current = () => {
    snapshot ??= pauseSnapshot(client, config).finally(() => setTimeout(() => (snapshot = undefined), 500).unref());
    return snapshot;
  };
  new Gauge({
    name: CONNECTOR_PAUSED_METRIC,
    help: 'Whether the connector is paused (1) or not (0): its calls wait in their entities',
    labelNames: ['connector'] as const,
    registers: [registry],
    async collect() {
      const { connectors } = await current();
      this.reset();
      for (const name of Object.keys(config.connectors))
        this.set({ connector: name }, connectors[name]?.paused ? 1 : 0);
    },
  });
  new Gauge({
    name: CONNECTOR_WAITING_METRIC,
    help: 'Running entities with calls waiting on the connector (paused, or resumed and not yet gone out)',
    labelNames: ['connector'] as const,
    registers: [registry],
    async collect() {
      const { connectors } = await current();
      this.reset();
      for (const name of Object.keys(config.connectors))
        this.set({ connector: name }, connectors[name]?.waitingEntities ?? 0);
    },
  });
  new Gauge({
    name: RULE_PAUSED_METRIC,
    help: 'Whether the rule is paused (1) or not (0): it does not fire',
    labelNames: ['rule'] as const,
    registers: [registry],
    async collect() {
      const { rules } = await current();
      this.reset();
      for (const rule of config.rules) this.set({ rule: rule.id }, rules.includes(rule.id) ? 1 : 0);
    },
  });
}
