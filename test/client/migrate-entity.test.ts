/**
 * migrateEntity over a fake handle (isolated unit test): an update Temporal aborted because its workflow
 * task failed is asked again; anything else reaches the caller at once. The real path runs in
 * test/workflows/entity-runs.test.ts and test/cli/entity-commands.test.ts.
 */
import { ServiceError } from '@temporalio/client';
import { describe, expect, it } from 'vitest';
import { isUpdateAbortedByTaskFailure, migrateEntity } from '../../src/client/migrate-entity.js';

const aborted = () =>
  new ServiceError('Workflow Update failed', {
    cause: Object.assign(new Error('9 FAILED_PRECONDITION: aborted'), {
      code: 9,
      details: 'Unable to perform workflow execution update due to unexpected workflow task failure.',
    }),
  });

function handle(failures: Array<() => Error>) {
  const calls: unknown[] = [];
  return {
    calls,
    executeUpdate: async (_def: unknown, options: { args: unknown[] }) => {
      calls.push(options.args[0]);
      const fail = failures.shift();
      if (fail) throw fail();
      return { from: 'v1', to: 'v2' };
    },
  };
}

describe('migrateEntity', () => {
  it('asks again when the workflow task carrying the update failed', async () => {
    const h = handle([aborted, aborted]);
    await expect(migrateEntity(h as never, 'v2')).resolves.toEqual({ from: 'v1', to: 'v2' });
    expect(h.calls).toEqual([{ configVersion: 'v2' }, { configVersion: 'v2' }, { configVersion: 'v2' }]);
  });

  it('passes other failures through, and gives up after the last attempt', async () => {
    const other = handle([() => new ServiceError('Workflow Update failed', { cause: new Error('5 NOT_FOUND') })]);
    await expect(migrateEntity(other as never)).rejects.toThrow('Workflow Update failed');
    expect(other.calls).toEqual([{}]);
    const always = handle([aborted, aborted, aborted]);
    await expect(migrateEntity(always as never, undefined, 3)).rejects.toSatisfy(isUpdateAbortedByTaskFailure);
    expect(always.calls).toHaveLength(3);
  });
});
