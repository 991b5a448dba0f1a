/**
 * The workflow coordinator's library API: load a workflow file, run it, ask its state,
 * cancel it, draw it. The CLI (`eegen workflow`) and the service call these.
 */
export { loadWorkflow, parseDuration, DEFAULT_COLORS, type LoadWorkflowOptions, type LoadWorkflowResult } from './spec.js';
export { runWorkflow, workflowStatus, cancelWorkflow, type RunWorkflowOptions, type WorkflowCallOptions, type WorkflowResult } from './run.js';
export { renderGraph, toDot, toMermaid, toSvg, GRAPH_FORMATS, type GraphFormat } from './views.js';
export { parseLabel, renderLabel, strftime, formatDuration, isTimeZone, type LabelContext, type LabelPart } from './labels.js';
export { stateDir, hostOut } from './bundles.js';
export { WORKFLOW_CODES, type WorkflowCode } from './codes.js';
export { NODE_FINAL, NODE_FAILED, NODE_ACTIVE, type NodeState, type NodeStatus, type WorkflowEvent, type WorkflowNode, type WorkflowSpec } from './types.js';
