// Task queues. Every Flxpoint HTTP call of one source runs on that source's own queue, whose worker
// option maxTaskQueueActivitiesPerSecond is the source token's budget (2 req/s): the server enforces it
// across all worker replicas. Workflows and local work (handler, commit) run on the pipeline queue.
//
// The source queues are named after the pipeline queue, so a workflow derives them from its own
// workflowInfo().taskQueue and two deployments with different pipeline queues never share a budget.

export const DEFAULT_PIPELINE_TASK_QUEUE = 'flxpoint-pipeline';

export function flxpointApiTaskQueue(pipelineTaskQueue: string, sourceKey: string): string {
  return `${pipelineTaskQueue}/api/${sourceKey}`;
}
