// Task queues. Every Flxpoint HTTP call of one source runs on that source's own queue, whose worker
// option maxTaskQueueActivitiesPerSecond is the source token's budget (2 req/s): the server enforces it
// across all worker replicas. Workflows and local work (handler, commit) run on the pipeline queue.

export const PIPELINE_TASK_QUEUE = 'flxpoint-pipeline';

export function flxpointApiTaskQueue(sourceKey: string): string {
  return `flxpoint-api:${sourceKey}`;
}
