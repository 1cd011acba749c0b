/**
 * migrateEntity over a fake handle (isolated unit test): an update Temporal refused with WorkflowNotReady
 * (its workflow task failed) is asked again; anything else reaches the caller at once. The errors are shaped
 * as the client receives them from the server: a gRPC error whose `grpc-status-details-bin` holds a
 * `google.rpc.Status` with Temporal's error detail. The real path runs in test/workflows/entity-runs.test.ts
 * and test/cli/entity-commands.test.ts.
 */
import { ServiceError } from '@temporalio/client';
import proto from '@temporalio/proto';
import { describe, expect, it } from 'vitest';
import { isUpdateAbortedByTaskFailure, migrateEntity } from '../../src/client/migrate-entity.js';

const TASK_FAILED = 'Unable to perform workflow execution update due to unexpected workflow task failure.';

/** A gRPC error as grpc-js hands it to the client: code, details text, and the status details in metadata. */
function grpcError(code: number, details: string, detailTypes: string[]): Error {
  const status = proto.google.rpc.Status.encode({
    code,
    message: details,
    details: detailTypes.map((type) => ({ type_url: `type.googleapis.com/${type}`, value: new Uint8Array() })),
  }).finish();
  const metadata = new Map([['grpc-status-details-bin', [Buffer.from(status)]]]);
  return Object.assign(new Error(`${code} ${details}`), {
    code,
    details,
    metadata: { get: (key: string) => metadata.get(key) ?? [] },
  });
}

const aborted = () =>
  new ServiceError('Workflow Update failed', {
    cause: grpcError(9, TASK_FAILED, ['temporal.api.errordetails.v1.WorkflowNotReadyFailure']),
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

  it('matches the error detail, not the message: the same text without WorkflowNotReady is not retried', () => {
    expect(isUpdateAbortedByTaskFailure(aborted())).toBe(true);
    const sameText = new ServiceError('Workflow Update failed', { cause: grpcError(9, TASK_FAILED, []) });
    expect(isUpdateAbortedByTaskFailure(sameText)).toBe(false);
    const notFound = new ServiceError('Workflow Update failed', {
      cause: grpcError(5, 'workflow not found', ['temporal.api.errordetails.v1.NotFoundFailure']),
    });
    expect(isUpdateAbortedByTaskFailure(notFound)).toBe(false);
    expect(isUpdateAbortedByTaskFailure(new Error(TASK_FAILED))).toBe(false);
  });
});
