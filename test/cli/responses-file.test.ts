/** `--responses`: stubbed answers for calls with `result`, read from YAML/JSON with clear errors. */
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readResponsesFile } from '../../src/cli/responses-file.js';
import { CallStubs } from '../../src/rules/call-stubs.js';

async function file(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'responses-'));
  const at = path.join(dir, 'answers.yaml');
  await writeFile(at, text);
  return at;
}

describe('responses file', () => {
  it('reads answers and lists, and the stubs hand them out one per call (the last repeats)', async () => {
    const stubs = new CallStubs(
      await readResponsesFile(
        await file('payouts:\n  - { status: 201, body: { payoutId: po-1 } }\n  - { fail: partner down }\n'),
      ),
    );
    expect(stubs.next('payouts')).toMatchObject({ ok: true, response: { status: 201, value: { payoutId: 'po-1' } } });
    expect(stubs.next('payouts')).toMatchObject({ ok: false, failure: { message: 'partner down' } });
    expect(stubs.next('payouts')).toMatchObject({ ok: false });
    expect(stubs.next('mailer')).toMatchObject({ ok: true, response: { status: 200 } });
  });

  it('says where an answer is wrong', async () => {
    await expect(readResponsesFile(await file('payouts: { status: 99 }\n'))).rejects.toThrow(/payouts/);
    await expect(readResponsesFile(await file('payouts: [ { stauts: 200 } ]\n'))).rejects.toThrow(/answers\.yaml/);
    await expect(readResponsesFile('/nonexistent/answers.yaml')).rejects.toThrow(/file not found/);
  });
});
