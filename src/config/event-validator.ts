/**
 * Validates a candidate CloudEvent against the configuration: the envelope, then the event type's
 * `data` JSON Schema (compiled once per type), then routing (the correlation key is present).
 * Shared by the ingest API and the client SDK so both accept exactly the same events.
 */
import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import type { CompiledConfig, Json } from './compiled.js';
import { routeEvent } from '../rules/routing.js';
import type { EngineEvent, EntityRef } from '../rules/types.js';
import { EngineError } from '../contract/engine-error.js';
import type { EventProblem } from '../contract/problems.js';

const addFormats = addFormatsModule.default;

/** Why an event was refused, grouped so HTTP can pick a status: envelope 400, forbidden 403, content 422. */
export type RejectionKind = 'envelope' | 'unknown-source' | 'forbidden' | 'unknown-type' | 'data' | 'routing';

/** `entity`: the entity the event is about; `entities`: every entity it reaches (that one first). */
export type ValidationResult =
  | { ok: true; event: EngineEvent; entity: EntityRef; entities: EntityRef[] }
  | { ok: false; kind: RejectionKind; problems: EventProblem[] };

const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;
const ATTRIBUTE_NAME = /^[a-z0-9]{1,20}$/;
const KIND_ORDER: RejectionKind[] = ['envelope', 'unknown-source', 'forbidden', 'unknown-type', 'data', 'routing'];

/** Validates candidate events against one compiled configuration. */
export class EventValidator {
  private readonly dataValidators = new Map<string, ValidateFunction>();

  constructor(private readonly config: CompiledConfig) {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    for (const [type, eventType] of Object.entries(config.events)) {
      try {
        this.dataValidators.set(type, ajv.compile(eventType.schema));
      } catch (err) {
        throw new EventSchemaError(
          `the data schema of event type "${type}" does not compile (${err instanceof Error ? err.message : String(err)}); fix it in the configuration`,
          { cause: err },
        );
      }
    }
  }

  /** Whether an event of `type` must carry `data` (its schema refuses the null an absent `data` is read as). */
  requiresData(type: string): boolean {
    const validateData = this.dataValidators.get(type);
    return validateData !== undefined && !validateData(null);
  }

  /**
   * What is wrong with an event a rule `emit`s, as ingest would see it: its type, its `data` against the
   * type's schema, and its routing. The envelope and source are the engine's own and are not checked.
   */
  validateEmitted(event: EngineEvent): EventProblem[] {
    const eventType = this.config.events[event.type];
    if (!eventType) return [{ pointer: '/type', detail: `unknown event type "${event.type}"` }];
    const validateData = this.dataValidators.get(event.type);
    if (validateData && !validateData(event.data)) {
      return (validateData.errors ?? []).map((error) => {
        const [pointer, detail] = describeSchemaError(error);
        return { pointer, detail };
      });
    }
    const route = routeEvent(this.config, event);
    if (route.ok) return [];
    const keyPath = route.keyPath;
    return [{ pointer: keyPath ? `/${keyPath.split('.').map(escapePointer).join('/')}` : '', detail: route.reason }];
  }

  /** Checks one candidate event; `authenticatedSource`, when given, must equal its `source`. */
  validate(candidate: unknown, authenticatedSource?: string): ValidationResult {
    const problems: Array<EventProblem & { kind: RejectionKind }> = [];
    const add = (kind: RejectionKind, pointer: string, detail: string) => problems.push({ kind, pointer, detail });

    if (candidate === null || typeof candidate !== 'object' || Array.isArray(candidate)) {
      return { ok: false, kind: 'envelope', problems: [{ pointer: '', detail: 'an event must be a JSON object' }] };
    }
    const raw = candidate as Record<string, unknown>;
    const text = (name: string, required: boolean): string | undefined => {
      const value = raw[name];
      if (value === undefined) {
        if (required) add('envelope', `/${name}`, `the required attribute "${name}" is missing`);
        return undefined;
      }
      if (typeof value !== 'string' || value.length === 0) {
        add('envelope', `/${name}`, `"${name}" must be a non-empty string`);
        return undefined;
      }
      return value;
    };

    const specversion = text('specversion', true);
    if (specversion !== undefined && specversion !== '1.0') {
      add('envelope', '/specversion', `specversion "${specversion}" is not supported; send "1.0"`);
    }
    const id = text('id', true);
    const source = text('source', true);
    const type = text('type', true);
    const subject = text('subject', false);
    const time = text('time', false);
    if (time !== undefined && !(RFC3339.test(time) && !Number.isNaN(Date.parse(time)))) {
      add('envelope', '/time', `time "${time}" is not an RFC 3339 timestamp (e.g. 2025-06-01T12:00:00Z)`);
    }
    const datacontenttype = text('datacontenttype', false);
    if (datacontenttype !== undefined && !isJsonMediaType(datacontenttype)) {
      add('envelope', '/datacontenttype', `datacontenttype "${datacontenttype}" is not JSON; events carry JSON data`);
    }
    const dataschema = text('dataschema', false);
    if (dataschema !== undefined && !URL.canParse(dataschema)) {
      add('envelope', '/dataschema', `dataschema "${dataschema}" is not an absolute URI`);
    }
    if (raw.data_base64 !== undefined) {
      add('envelope', '/data_base64', 'data_base64 is not supported: send the data as JSON in "data"');
    }
    for (const name of Object.keys(raw)) {
      if (!ATTRIBUTE_NAME.test(name) && name !== 'data_base64') {
        add(
          'envelope',
          `/${escapePointer(name)}`,
          `"${name}" is not a valid CloudEvents attribute name (a-z, 0-9, at most 20)`,
        );
      }
    }

    const sourceConfig = source === undefined ? undefined : this.config.sources[source];
    if (source !== undefined && !sourceConfig) add('unknown-source', '/source', `unknown source "${source}"`);
    if (source !== undefined && authenticatedSource !== undefined && source !== authenticatedSource) {
      add('forbidden', '/source', `source "${source}" differs from the authenticated source "${authenticatedSource}"`);
    }
    const eventType = type === undefined ? undefined : this.config.events[type];
    if (type !== undefined && !eventType) {
      add(
        'unknown-type',
        '/type',
        `unknown event type "${type}"; configured types: ${Object.keys(this.config.events).join(', ')}`,
      );
    }
    if (eventType && sourceConfig && !eventType.sources.includes(sourceConfig.name)) {
      add('forbidden', '/type', `source "${sourceConfig.name}" may not send events of type "${eventType.type}"`);
    }

    const data = (raw.data === undefined ? null : raw.data) as Json;
    const validateData = type === undefined ? undefined : this.dataValidators.get(type);
    let dataValid = true;
    if (validateData && !validateData(data)) {
      dataValid = false;
      for (const error of validateData.errors ?? []) add('data', ...describeSchemaError(error));
    }

    if (problems.length === 0 && dataValid && id && source && type && specversion) {
      const event: EngineEvent = { id, source, type, specversion: '1.0', data };
      if (subject !== undefined) event.subject = subject;
      if (time !== undefined) event.time = time;
      if (datacontenttype !== undefined) event.datacontenttype = datacontenttype;
      if (dataschema !== undefined) event.dataschema = dataschema;
      const route = routeEvent(this.config, event);
      if (route.ok) return { ok: true, event, entity: route.entity, entities: route.entities };
      const keyPath = route.keyPath;
      add('routing', keyPath ? `/${keyPath.split('.').map(escapePointer).join('/')}` : '', route.reason);
    }

    const kind = KIND_ORDER.find((k) => problems.some((p) => p.kind === k)) ?? 'envelope';
    return { ok: false, kind, problems: problems.map(({ pointer, detail }) => ({ pointer, detail })) };
  }
}

/** Builds the validator for a configuration; throws EventSchemaError when a data schema does not compile. */
export function createEventValidator(config: CompiledConfig): EventValidator {
  return new EventValidator(config);
}

/** True for `application/json` and `…+json` media types (parameters ignored). */
export function isJsonMediaType(mediaType: string): boolean {
  const essence = mediaType.split(';')[0]!.trim().toLowerCase();
  return essence === 'application/json' || /^[a-z0-9!#$&^_.-]+\/[a-z0-9!#$&^_.+-]+\+json$/.test(essence);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1');
}

function describeSchemaError(error: ErrorObject): [string, string] {
  const base = `/data${error.instancePath}`;
  const params = error.params as Record<string, unknown>;
  if (error.keyword === 'required' && typeof params.missingProperty === 'string') {
    return [`${base}/${escapePointer(params.missingProperty)}`, 'is required'];
  }
  if (error.keyword === 'additionalProperties' && typeof params.additionalProperty === 'string') {
    return [`${base}/${escapePointer(params.additionalProperty)}`, 'is not allowed by the schema'];
  }
  return [base, error.message ?? `fails "${error.keyword}"`];
}

/** An event type's data schema does not compile (the compiler checks schemas first; this guards the edge). */
export class EventSchemaError extends EngineError {
  override readonly name = 'EventSchemaError';
  readonly code = 'CONFIG_INVALID';
}
