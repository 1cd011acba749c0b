/**
 * One Temporal dev server per test run (the provisioned CLI through @temporalio/testing's
 * `existing-path` executable) and one workflow bundle, shared by every integration test.
 * A failure here is handed to the tests that need Temporal, so pure unit tests still run and report.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode } from '@temporalio/worker';
import type { TestProject } from 'vitest/node';
import { provisionTemporalCli } from '../../src/dev/temporal-cli.js';
import { workflowPreloadModules, workflowsPath } from '../../src/worker/workflows-path.js';
import { allSearchAttributeKeys } from '../../src/contract/search-attributes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    temporal: { address: string; cliPath: string } | { error: string };
    workflowBundle: { codePath: string } | { error: string };
  }
}

const message = (err: unknown) => (err instanceof Error ? (err.stack ?? err.message) : String(err));

export default async function setup(project: TestProject) {
  let env: TestWorkflowEnvironment | undefined;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'hunt-test-'));
  try {
    const cli = await provisionTemporalCli({ log: (m) => process.stderr.write(`${m}\n`) });
    env = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: cli.path },
        ip: '127.0.0.1',
        searchAttributes: allSearchAttributeKeys,
        // The server logs its own shutdown races (a task queue closed under a poller) as errors; tests read what
        // the server answers, not its log.
        extraArgs: ['--log-level', 'never'],
      },
    });
    project.provide('temporal', { address: env.address, cliPath: cli.path });
  } catch (err) {
    project.provide('temporal', { error: message(err) });
  }
  try {
    const bundle = await bundleWorkflowCode({
      workflowsPath,
      preloadModules: workflowPreloadModules,
      logger: quietBundlerLogger,
    });
    const codePath = path.join(dir, 'workflow-bundle.js');
    await fs.writeFile(codePath, bundle.code);
    project.provide('workflowBundle', { codePath });
  } catch (err) {
    project.provide('workflowBundle', { error: message(err) });
  }
  return async () => {
    await env?.teardown();
    await fs.rm(dir, { recursive: true, force: true });
  };
}

const quietBundlerLogger = {
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: (m: string) => process.stderr.write(`[bundler] ${m}\n`),
  error: (m: string) => process.stderr.write(`[bundler] ${m}\n`),
  log: () => undefined,
};
