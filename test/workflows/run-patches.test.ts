/**
 * RUN_START_PATCH stands for every patch before it: EARLIER_PATCHES must name each of them, and no other (a
 * patch added later must be asked on its own, or runs that started before it would follow it).
 */
import { describe, expect, it } from 'vitest';
import {
  BOUNDED_RUNS_PATCH,
  CHECK_MIGRATE_TARGET_PATCH,
  HANDLE_INBOX_BEFORE_CONTINUE_PATCH,
  INLINE_DELIVERY_PATCH,
  LANGUAGE_SEMANTICS_PATCH,
  RUN_START_PATCH,
} from '../../workflows/entity-workflow.js';
import { COMPACT_WHEN_IDLE_PATCH, RESULT_EVENTS_PATCH, WORKFLOW_ACTIONS_PATCH } from '../../workflows/entity-run.js';
import { SPARSE_VISIBILITY_PATCH } from '../../workflows/visibility.js';
import { CONNECTOR_PAUSE_PATCH, PAUSED_CALLS_IN_CALL_ORDER_PATCH } from '../../workflows/paused-calls.js';
import { RULE_PAUSE_PATCH } from '../../workflows/rule-pauses.js';
import { EARLIER_PATCHES } from '../../workflows/run-patches.js';

describe('the patches RUN_START_PATCH stands for', () => {
  it('are every patch the entity workflow asked before it, and not itself', () => {
    expect([...EARLIER_PATCHES].sort()).toEqual(
      [
        BOUNDED_RUNS_PATCH,
        CHECK_MIGRATE_TARGET_PATCH,
        HANDLE_INBOX_BEFORE_CONTINUE_PATCH,
        INLINE_DELIVERY_PATCH,
        LANGUAGE_SEMANTICS_PATCH,
        COMPACT_WHEN_IDLE_PATCH,
        RESULT_EVENTS_PATCH,
        WORKFLOW_ACTIONS_PATCH,
        SPARSE_VISIBILITY_PATCH,
        CONNECTOR_PAUSE_PATCH,
        PAUSED_CALLS_IN_CALL_ORDER_PATCH,
        RULE_PAUSE_PATCH,
      ].sort(),
    );
    expect(EARLIER_PATCHES.has(RUN_START_PATCH)).toBe(false);
  });
});
