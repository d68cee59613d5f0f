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

// Task priority on a source's queue (Temporal's priority levels 1 = first … 5 = last; unset = 3). FR and
// poll activities keep the default; every inventory sync activity is scheduled at the lowest level, so
// when the budget is the bottleneck the server dispatches waiting FR tasks before a catalog push's backlog.
// Urgent inventory pushes (a stock-out) keep the default, beside the FRs.
export const INVENTORY_SYNC_TASK_PRIORITY = 5;
