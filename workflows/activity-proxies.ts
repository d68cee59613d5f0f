import { proxyActivities } from '@temporalio/workflow';
import type { FlxpointActivities, PipelineActivities } from '../activities';
import { flxpointApiTaskQueue, PIPELINE_TASK_QUEUE } from '../common/task-queues';

// Activity options in one place. Flxpoint calls go to the source's own task queue, where the worker's
// maxTaskQueueActivitiesPerSecond spends the token's 2 req/s budget; every attempt is one HTTP request.
// 4xx answers come back as non-retryable ApplicationFailures (activities/flxpoint/errors.ts), 429s carry
// their Retry-After as nextRetryDelay; everything else retries with backoff until an operator steps in.

export function flxpointActivities(sourceKey: string) {
  return proxyActivities<FlxpointActivities>({
    taskQueue: flxpointApiTaskQueue(sourceKey),
    startToCloseTimeout: '45 seconds',
    retry: { initialInterval: '2 seconds', backoffCoefficient: 2, maximumInterval: '2 minutes' },
  });
}

export const pipelineActivities = proxyActivities<PipelineActivities>({
  taskQueue: PIPELINE_TASK_QUEUE,
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
});
