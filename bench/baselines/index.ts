/** The baseline worker's workflows (bundled like the engine's). */
export { activityWorkflow, countingWorkflow } from './baseline-workflows.js';
