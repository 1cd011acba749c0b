/** Reads the stubbed connector answers `hunt simulate --responses` and `hunt diff --responses` take. */
import { readFile } from 'node:fs/promises';
import { parse } from 'yaml';
import { z } from 'zod';
import type { StubbedResponses } from '../rules/call-stubs.js';
import { CliError } from './cli-error.js';

const answerSchema = z.union([
  // A started workflow (`workflow:<type>`) that has not finished when the simulation ends.
  z.strictObject({ pending: z.literal(true) }),
  z.strictObject({
    fail: z.string().min(1),
    type: z.string().min(1).optional(),
    status: z.int().min(100).max(599).optional(),
    body: z.json().optional(),
  }),
  z.strictObject({
    status: z.int().min(100).max(599).optional(),
    headers: z.record(z.string(), z.string()).optional(),
    body: z.json().optional(),
  }),
]);

const responsesSchema = z.record(z.string().min(1), z.union([answerSchema, z.array(answerSchema).min(1)]));

/** Parses a responses file (YAML or JSON): connector name → answer or list of answers. */
export async function readResponsesFile(path: string): Promise<StubbedResponses> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === 'ENOENT' ? 'file not found' : String(err);
    throw new CliError(`cannot read responses file ${path}: ${reason}`);
  }
  let value: unknown;
  try {
    value = parse(text);
  } catch (err) {
    throw new CliError(`${path}: not YAML or JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  const parsed = responsesSchema.safeParse(value ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : '(file)';
    throw new CliError(
      `${path}: ${where}: ${issue?.message ?? 'invalid'}; write connector: { status, headers, body } or { fail: "why" } (workflow:<type>: also { pending: true }), or a list of them`,
    );
  }
  return parsed.data;
}
