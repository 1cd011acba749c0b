/** Human-readable text of a simulation and of a simulation diff, as `hunt simulate` / `hunt diff` print them. */
import type { CompiledAction } from '../config/compiled.js';
import type { SimulationResult, SimulationStep } from './simulate.js';
import type { EntityDiff } from './simulation-diff.js';
import type { StateChange } from './state-diff.js';
import type { PlannedAction } from './types.js';
import { showValue } from './wording.js';

function describeAction(action: CompiledAction): string {
  switch (action.kind) {
    case 'call': {
      const parts = [`call ${action.connector}`];
      if (action.method) parts.push(action.method);
      if (action.path !== undefined) parts.push(showValue(action.path));
      if (action.summary) parts.push(`(${action.summary})`);
      if (action.body !== undefined) parts.push(`body ${showValue(action.body)}`);
      if (action.result?.responded !== undefined) parts.push(`→ ${action.result.responded}`);
      return parts.join(' ');
    }
    case 'emit':
      return `emit ${action.type} ${showValue(action.data)}`;
    case 'start':
      return `start ${action.workflow} on ${action.taskQueue}${action.id !== undefined ? ` id ${showValue(action.id)}` : ''} args ${showValue(action.args)}`;
    case 'signal':
      return `signal ${action.signal} to ${showValue(action.workflowId)} args ${showValue(action.args)}`;
    case 'set':
      return `set ${action.reducers.map((r) => (r.op === 'set' ? r.path : `${r.op} ${r.path}`)).join(', ')}`;
    case 'end':
      return `end${action.reason ? ` (${action.reason})` : ''}`;
  }
}

function describePlanned(planned: PlannedAction): string {
  const prefix = planned.onFailure ? 'on failure: ' : '';
  return `${planned.ruleId}[${planned.onFailure ? 'f' : ''}${planned.index}] ${prefix}${describeAction(planned.action)}`;
}

function describeChange(change: StateChange): string {
  if (change.before === undefined) return `+ ${change.path} = ${showValue(change.after)}`;
  if (change.after === undefined) return `- ${change.path} (was ${showValue(change.before)})`;
  return `~ ${change.path}: ${showValue(change.before)} → ${showValue(change.after)}`;
}

function header(step: SimulationStep): string {
  const what =
    step.kind === 'timer' ? `timer of ${step.eventType} ${step.eventId}` : `${step.eventType} ${step.eventId}`;
  const via = step.kind === 'emitted' ? ' (emitted)' : step.kind === 'result' ? ' (call result)' : '';
  const status = step.status === 'accepted' ? '' : ` — ${step.status}${step.reason ? `: ${step.reason}` : ''}`;
  const ended = step.ended ? ' — entity ended' : '';
  return `${step.time}  ${step.entity ?? '(no entity)'}  ${what}${via}${status}${ended}`;
}

/** One block per step: header, state changes, actions, and why the other rules did not fire. */
export function formatSimulation(result: SimulationResult): string {
  const lines: string[] = [`config ${result.config.name} (${result.config.version.slice(0, 12)})`, ''];
  for (const step of result.steps) {
    lines.push(header(step));
    for (const change of step.changes) lines.push(`    state ${describeChange(change)}`);
    for (const planned of step.actions) lines.push(`    → ${describePlanned(planned)}`);
    for (const verdict of step.notFired) lines.push(`    · ${verdict.ruleId}: ${verdict.clause} — ${verdict.reason}`);
  }
  const entities = Object.entries(result.entities);
  lines.push('', `${result.steps.length} steps, ${entities.length} entities`);
  for (const [id, entity] of entities) {
    const ended = entity.ended ? `, ended${entity.ended.reason ? ` (${entity.ended.reason})` : ''}` : '';
    const timers = entity.timers.length > 0 ? `, ${entity.timers.length} timers pending` : '';
    lines.push(`  ${id}: ${entity.eventCount} events${ended}${timers}`);
  }
  return lines.join('\n');
}

/** The entities whose actions differ, with each action removed (-), added (+) or changed (~). */
export function formatSimulationDiff(diffs: EntityDiff[]): string {
  if (diffs.length === 0) return 'no entity acts differently';
  const lines: string[] = [];
  for (const diff of diffs) {
    lines.push(`${diff.entity}: ${diff.actions.length} action${diff.actions.length === 1 ? '' : 's'} differ`);
    for (const change of diff.actions) {
      if (change.before && change.after) {
        lines.push(`  ~ ${describePlanned(change.before)}`, `    now ${describeAction(change.after.action)}`);
      } else if (change.before) lines.push(`  - ${describePlanned(change.before)}`);
      else if (change.after) lines.push(`  + ${describePlanned(change.after)}`);
    }
    for (const change of diff.finalState) lines.push(`  final state ${describeChange(change)}`);
  }
  return lines.join('\n');
}
