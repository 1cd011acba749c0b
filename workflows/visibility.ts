/**
 * What a person sees of an entity in the Temporal Web UI: typed search attributes (searchable from the
 * UI's search box) and a memo summary. Only changed values are written, so quiet entities add nothing
 * to history.
 */
import { upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { SearchAttributeUpdatePair } from '@temporalio/common';
import type { CompiledConfig } from '../src/config/compiled.js';
import type { EntityView } from '../src/contract/messages.js';
import {
  HuntConfigVersion,
  HuntDeadLetters,
  HuntEnded,
  HuntEntityKey,
  HuntEntityType,
  HuntEventCount,
  HuntLastEventType,
  HuntRulesFired,
} from '../src/contract/search-attributes.js';
import type { RunPatches } from './run-patches.js';

/** Patch id: search attributes and memo are written when what people search by changes, not per event. */
export const SPARSE_VISIBILITY_PATCH = 'sparse-visibility';
/** With sparse visibility, HuntEventCount and HuntLastEventType are refreshed at least this often (events). */
export const COUNT_REFRESH_EVENTS = 50;

/** The search attributes the publisher writes. */
const PUBLISHED = [
  HuntEntityType,
  HuntEntityKey,
  HuntConfigVersion,
  HuntEventCount,
  HuntDeadLetters,
  HuntEnded,
  HuntRulesFired,
  HuntLastEventType,
] as const;

export class VisibilityPublisher {
  private last = new Map<string, string>();
  private readonly rulesFired: Set<string>;
  private publishedCount = 0;
  /** Last accepted event type, written with the next due publish. */
  private pendingType: string | undefined;

  constructor(private readonly patches: RunPatches) {
    // Continue-as-new carries the search attributes over: keep the rules fired in earlier runs.
    const carried = workflowInfo().typedSearchAttributes;
    this.rulesFired = new Set(carried.get(HuntRulesFired) ?? []);
    // A current run (RUN_START_PATCH) whose previous run handed its memo on starts from what it carried, so it
    // writes only what changes from there: a compacted entity's new run writes no search attribute, memo or
    // history event for what it kept. A run without the memo writes everything, as runs always did.
    if (!patches.current || (workflowInfo().memo as { summary?: unknown } | undefined)?.summary === undefined) return;
    for (const key of PUBLISHED) {
      const value = carried.get(key);
      if (value !== undefined) this.last.set(key.name, JSON.stringify(value));
    }
    this.publishedCount = carried.get(HuntEventCount) ?? 0;
    this.pendingType = carried.get(HuntLastEventType);
  }

  /**
   * Writes search attributes and the memo. Every write is a history event and a visibility write, so
   * (behind SPARSE_VISIBILITY_PATCH) only a change of what people search by — type, key, config version,
   * dead letters, ended, rules fired — writes at once; the event count and last event type ride along,
   * and are refreshed on their own every COUNT_REFRESH_EVENTS events and when `force` is set (end of a run).
   */
  publish(
    config: CompiledConfig,
    view: EntityView,
    deadLetters: number,
    firedRules: string[],
    lastEventType?: string,
    force = false,
  ) {
    for (const rule of firedRules) this.rulesFired.add(rule);
    const sparse = this.patches.has(SPARSE_VISIBILITY_PATCH);
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
    if (!sparse) set(HuntEventCount, { key: HuntEventCount, value: view.eventCount }, view.eventCount);
    set(HuntDeadLetters, { key: HuntDeadLetters, value: deadLetters }, deadLetters);
    set(HuntEnded, { key: HuntEnded, value: view.ended !== undefined }, view.ended !== undefined);
    const rules = [...this.rulesFired].sort();
    set(HuntRulesFired, { key: HuntRulesFired, value: rules }, rules);
    if (lastEventType !== undefined) this.pendingType = lastEventType;
    const pendingType = this.pendingType;
    if (!sparse && lastEventType !== undefined) {
      set(HuntLastEventType, { key: HuntLastEventType, value: lastEventType }, lastEventType);
    }
    if (sparse) {
      const due = updates.length > 0 || force || view.eventCount - this.publishedCount >= COUNT_REFRESH_EVENTS;
      if (!due) return;
      set(HuntEventCount, { key: HuntEventCount, value: view.eventCount }, view.eventCount);
      if (pendingType !== undefined)
        set(HuntLastEventType, { key: HuntLastEventType, value: pendingType }, pendingType);
    }
    if (updates.length === 0) return;
    this.publishedCount = view.eventCount;
    upsertSearchAttributes(updates);
    const summary = {
      entity: `${view.entityType}/${view.key}`,
      events: view.eventCount,
      lastEventType: (sparse ? pendingType : lastEventType) ?? null,
      deadLetters,
      configVersion: config.version,
      ended: view.ended ?? null,
      rulesFired: rules,
    };
    // The full state stays in the `state` query: a memo copy of it would be rewritten with every change.
    upsertMemo({ summary: sparse ? summary : { ...summary, state: view.state } });
  }
}
