/**
 * Turns a fired rule's compiled actions into planned actions: templates rendered over
 * `{ event, data, state, entity }` (except `env.*`, left for the activity), with stable keys.
 */
import type { CompiledAction, Json, Template } from '../config/compiled.js';
import type { ExpressionScope } from './conditions.js';
import { entityWorkflowId } from './routing.js';
import { renderTemplate } from './templates.js';
import type { EntityRef } from './types.js';

const KEEP_ENV = ['env'] as const;

/**
 * The idempotency key of one action: `<entityType>/<key>:<eventId>:<ruleId>:<index>`. onFailure
 * actions use index `f<index>`; timer firings add `@<deadline ms>` so each deadline's firing is
 * distinct yet stable across retries, replays and continue-as-new.
 */
export function idempotencyKey(
  entity: EntityRef,
  eventId: string,
  ruleId: string,
  index: number,
  opts: { onFailure?: boolean; timerAt?: number } = {},
): string {
  const position = opts.onFailure ? `f${index}` : String(index);
  const timer = opts.timerAt === undefined ? '' : `@${opts.timerAt}`;
  return `${entityWorkflowId(entity)}:${eventId}:${ruleId}:${position}${timer}`;
}

function render(template: Template, scope: ExpressionScope, where: string): Json {
  return renderTemplate(template, scope, { keep: KEEP_ENV, where });
}

/** Renders one action's templates (throws TemplateError); `set` and `end` are returned as they are. */
export function renderAction(action: CompiledAction, scope: ExpressionScope, where: string): CompiledAction {
  switch (action.kind) {
    case 'call': {
      const out: CompiledAction = { ...action };
      if (action.path !== undefined) out.path = render(action.path, scope, `${where}.path`);
      if (action.body !== undefined) out.body = render(action.body, scope, `${where}.body`);
      if (action.headers !== undefined) {
        const headers: Record<string, Json> = {};
        for (const [name, value] of Object.entries(action.headers)) {
          headers[name] = render(value, scope, `${where}.headers.${name}`);
        }
        out.headers = headers;
      }
      if (action.summary !== undefined) {
        const summary = render(action.summary, scope, `${where}.summary`);
        out.summary = typeof summary === 'string' ? summary : JSON.stringify(summary);
      }
      return out;
    }
    case 'emit': {
      const out: CompiledAction = { ...action, data: render(action.data, scope, `${where}.data`) };
      if (action.subject !== undefined) out.subject = render(action.subject, scope, `${where}.subject`);
      return out;
    }
    case 'start': {
      const out: CompiledAction = {
        ...action,
        args: action.args.map((a, i) => render(a, scope, `${where}.args[${i}]`)),
      };
      if (action.id !== undefined) out.id = render(action.id, scope, `${where}.id`);
      return out;
    }
    case 'signal':
      return {
        ...action,
        workflowId: render(action.workflowId, scope, `${where}.workflowId`),
        args: action.args.map((a, i) => render(a, scope, `${where}.args[${i}]`)),
      };
    case 'set':
    case 'end':
      return action;
  }
}
