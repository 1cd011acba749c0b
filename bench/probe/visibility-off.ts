/**
 * Bench-only stand-in for workflows/visibility.ts (swapped in at bundle time for the "engine without
 * per-event visibility" target): it writes nothing, to show what per-event search-attribute and memo
 * upserts cost the engine. Not a fix: the Web UI would show no entity state.
 */
import type { CompiledConfig } from '../../src/config/compiled.js';
import type { EntityView } from '../../workflows/messages.js';

export class VisibilityPublisher {
  /** Writes nothing. */
  publish(_config: CompiledConfig, _view: EntityView, _deadLetters: number, _firedRules: string[], _last?: string) {
    return;
  }
}
