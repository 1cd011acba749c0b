import { fileURLToPath } from 'node:url';

/** The workflow entry module, bundled by the worker (tests prebundle it once per run). */
export const workflowsPath = fileURLToPath(new URL('../../workflows/index.ts', import.meta.url));
