/** `npm run cluster`'s settings: compose's ports by default, each one overridable, bad values named. */
import { describe, expect, it } from 'vitest';
import { loadClusterSettings } from '../../src/cluster/cluster-settings.js';
import { SettingsError } from '../../src/settings/settings.js';

describe('loadClusterSettings', () => {
  it('defaults to 4 history shards, compose ports and .hunt-cluster', () => {
    const settings = loadClusterSettings({}, '/repo');
    expect(settings.stateDir).toBe('/repo/.hunt-cluster');
    expect(settings.historyShards).toBe(4);
    expect(settings.ports).toMatchObject({ postgres: 5432, frontend: 7233, ui: 8080, loadBalancer: 3000 });
    expect(settings.ports.ingest).toEqual([3001, 3002]);
  });

  it('moves the ingest instances with the load balancer port', () => {
    expect(loadClusterSettings({ HUNT_CLUSTER_INGEST_PORT: '4000' }, '/repo').ports.ingest).toEqual([4001, 4002]);
  });

  it('names a bad variable', () => {
    expect(() => loadClusterSettings({ HUNT_CLUSTER_HISTORY_SHARDS: 'many' }, '/repo')).toThrow(SettingsError);
    expect(() => loadClusterSettings({ HUNT_CLUSTER_HISTORY_SHARDS: 'many' }, '/repo')).toThrow(
      /HUNT_CLUSTER_HISTORY_SHARDS/,
    );
  });
});
