/** Compares two simulations over the same events: which entities would act differently, and how. */
import type { Json, JsonObject } from '../config/compiled.js';
import { jsonEqual } from './reducers.js';
import type { SimulationResult } from './simulate.js';
import { diffState } from './state-diff.js';
import type { StateChange } from './state-diff.js';
import type { PlannedAction } from './types.js';

export interface ActionChange {
  /** The action's idempotency key: same event, rule, index (and deadline for timer firings). */
  key: string;
  before?: PlannedAction;
  after?: PlannedAction;
}

export interface EntityDiff {
  entity: string;
  /** Actions only the old config plans (`before`), only the new one (`after`), or planned differently (both). */
  actions: ActionChange[];
  /** How the entity's final state differs (old → new). */
  finalState: StateChange[];
}

function actionsByEntity(result: SimulationResult): Map<string, Map<string, PlannedAction>> {
  const out = new Map<string, Map<string, PlannedAction>>();
  for (const step of result.steps) {
    if (!step.entity) continue;
    let actions = out.get(step.entity);
    if (!actions) out.set(step.entity, (actions = new Map<string, PlannedAction>()));
    for (const planned of step.actions) actions.set(planned.idempotencyKey, planned);
  }
  return out;
}

/** Entities whose planned actions differ between `before` and `after` (final state differences included). */
export function diffSimulations(before: SimulationResult, after: SimulationResult): EntityDiff[] {
  const a = actionsByEntity(before);
  const b = actionsByEntity(after);
  const entities = [...new Set([...a.keys(), ...b.keys()])].sort();
  const diffs: EntityDiff[] = [];
  for (const entity of entities) {
    const old = a.get(entity) ?? new Map<string, PlannedAction>();
    const now = b.get(entity) ?? new Map<string, PlannedAction>();
    const actions: ActionChange[] = [];
    for (const key of new Set([...old.keys(), ...now.keys()])) {
      const x = old.get(key);
      const y = now.get(key);
      if (x && y && jsonEqual(x.action as unknown as Json, y.action as unknown as Json)) continue;
      actions.push({ key, ...(x && { before: x }), ...(y && { after: y }) });
    }
    if (actions.length === 0) continue;
    const empty: JsonObject = {};
    const finalState = diffState(before.entities[entity]?.state ?? empty, after.entities[entity]?.state ?? empty);
    diffs.push({ entity, actions, finalState });
  }
  return diffs;
}
