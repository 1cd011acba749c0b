/** The workflows the engine's worker registers. */
export { entityWorkflow } from './entity-workflow.js';
export { configVersionWorkflow } from './config-version-workflow.js';
export { replayFiringWorkflow } from './replay-workflow.js';
export { pauseRecordWorkflow } from './pause-record-workflow.js';
export { bulkRedriveWorkflow } from './redrive-workflow.js';
