import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { contentHash } from '../../src/config/canonical-json.js';
import { loadCompiledConfig } from '../../src/config/index.js';
import { compressDurations, DemoSpeedError, MIN_COMPRESSED_MS } from '../../src/demo/demo-speed.js';

const reference = await loadCompiledConfig('examples/treasure-hunt/hunt.yaml');
const timing = (config: typeof reference, id: string) => config.rules.find((r) => r.id === id)?.timing;

describe('compressDurations', () => {
  it('leaves the config (and its version) alone at speed 1', () => {
    expect(compressDurations(reference, 1)).toBe(reference);
  });

  it('divides every kind of rule timing and nothing else', () => {
    const fast = compressDurations(reference, 60);
    expect(timing(fast, 'nudge-stuck-team')).toMatchObject({ kind: 'unless', windowMs: 45_000 });
    expect(timing(fast, 'lock-out-guessers')).toMatchObject({ kind: 'count', count: 3, windowMs: 10_000 });
    expect(timing(fast, 'lift-lock-out')).toMatchObject({ kind: 'debounce', quietMs: 15_000 });
    expect(timing(fast, 'send-hint')).toMatchObject({ kind: 'throttle', intervalMs: 10_000 });
    expect(timing(fast, 'quick-solver-bonus')).toMatchObject({ kind: 'within', windowMs: 2_000 });
    expect(timing(fast, 'team-ready')).toMatchObject({ kind: 'all', windowMs: 24 * 60_000 });
    expect(fast.connectors).toEqual(reference.connectors);
    expect(fast.events).toEqual(reference.events);
  });

  it('gives a config of its own: recorded speed and a version that is the hash of its content', () => {
    const fast = compressDurations(reference, 60);
    expect(fast.demoSpeed).toBe(60);
    expect(fast.version).not.toBe(reference.version);
    const { version, ...content } = fast;
    expect(version).toBe(contentHash(content));
    expect(compressDurations(fast, 2).demoSpeed).toBe(120);
  });

  it('never compresses a duration below the floor, whatever the speed', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 100_000 }), (speed) => {
        const fast = compressDurations(reference, speed);
        for (const rule of fast.rules) {
          const t = rule.timing;
          if (!t) continue;
          const ms = t.kind === 'debounce' ? t.quietMs : t.kind === 'throttle' ? t.intervalMs : t.windowMs;
          if (ms !== undefined) expect(ms).toBeGreaterThanOrEqual(Math.min(MIN_COMPRESSED_MS, 1_000));
        }
      }),
      { numRuns: 30 },
    );
  });

  it('refuses a speed that is not a whole number from 1', () => {
    for (const speed of [0, -3, 1.5, Number.NaN])
      expect(() => compressDurations(reference, speed)).toThrow(DemoSpeedError);
  });
});
