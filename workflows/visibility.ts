/**
 * What a person sees of an entity in the Temporal Web UI: typed search attributes (searchable from the
 * UI's search box) and a memo summary. Only changed values are written, so quiet entities add nothing
 * to history.
 */
import { upsertMemo, upsertSearchAttributes } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { CompiledConfig } from '../src/config/compiled.js';
import type { EntityView } from './messages.js';
import {
  HuntConfigVersion,
  HuntDeadLetters,
  HuntEnded,
  HuntEntityKey,
  HuntEntityType,
  HuntEventCount,
  HuntLastEventType,
  HuntRulesFired,
} from './search-attributes.js';

export class VisibilityPublisher {
  private last = new Map<string, string>();
  private readonly rulesFired = new Set<string>();

  /** Writes search attributes and memo when anything a person searches by has changed. */
  publish(config: CompiledConfig, view: EntityView, deadLetters: number, firedRules: string[], lastEventType?: string) {
    for (const rule of firedRules) this.rulesFired.add(rule);
    const updates: SearchAttributeUpdatePair[] = [];
    const set = <T>(key: { name: string }, pair: SearchAttributeUpdatePair, value: T) => {
      const encoded = JSON.stringify(value);
      if (this.last.get(key.name) === encoded) return;
      this.last.set(key.name, encoded);
      updates.push(pair);
    };
    set(HuntEntityType, { key: HuntEntityType, value: view.entityType }, view.entityType);
    set(HuntEntityKey, { key: HuntEntityKey, value: view.key }, view.key);
    set(HuntConfigVersion, { key: HuntConfigVersion, value: config.version }, config.version);
    set(HuntEventCount, { key: HuntEventCount, value: view.eventCount }, view.eventCount);
    set(HuntDeadLetters, { key: HuntDeadLetters, value: deadLetters }, deadLetters);
    set(HuntEnded, { key: HuntEnded, value: view.ended !== undefined }, view.ended !== undefined);
    const rules = [...this.rulesFired].sort();
    set(HuntRulesFired, { key: HuntRulesFired, value: rules }, rules);
    if (lastEventType !== undefined) {
      set(HuntLastEventType, { key: HuntLastEventType, value: lastEventType }, lastEventType);
    }
    if (updates.length === 0) return;
    upsertSearchAttributes(updates);
    upsertMemo({
      summary: {
        entity: `${view.entityType}/${view.key}`,
        events: view.eventCount,
        lastEventType: lastEventType ?? null,
        deadLetters,
        configVersion: config.version,
        ended: view.ended ?? null,
        state: view.state,
      },
    });
  }
}
