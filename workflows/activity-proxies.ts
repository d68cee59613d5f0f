import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { FlxpointActivities, PipelineActivities } from '../activities';
import type { FrSnapshotActivities } from '../activities/fr-snapshot-cache';
import {
  FLXPOINT_FR_RETRY,
  FLXPOINT_LIST_RETRY,
  LISTED_FR_RETRY,
  PIPELINE_RETRY,
} from '../common/retry-policies';
import { flxpointApiTaskQueue } from '../common/task-queues';
import type { FrWorkflowSettings } from './definitions';

// Activity options in one place. Flxpoint calls go to the source's own task queue, where the worker's
// maxTaskQueueActivitiesPerSecond spends the token's 2 req/s budget; every attempt is one HTTP request.
// 4xx answers come back as non-retryable ApplicationFailures (activities/flxpoint/errors.ts), 429s carry
// their Retry-After as nextRetryDelay; everything else retries with backoff until an operator steps in. The
// retry policies live in common/retry-policies.ts, where the activities' own jitter (nextRetryDelay,
// activities/flxpoint/errors.ts retryDelayMs) reads them too.

export function flxpointActivities(sourceKey: string, settings?: FrWorkflowSettings) {
  return proxyActivities<FlxpointActivities>({
    taskQueue: flxpointApiTaskQueue(workflowInfo().taskQueue, sourceKey),
    startToCloseTimeout: settings?.flxpointActivityTimeoutMs ?? '45 seconds',
    retry: FLXPOINT_FR_RETRY,
  });
}

/**
 * The poller's list calls retry briefly and then give up: the poll fails (visibly, in the Web UI) and the
 * schedule's next tick starts a fresh one. Retrying for minutes instead would hold the schedule (overlap
 * SKIP) behind a backoff that has grown to two minutes, long after Flxpoint recovered.
 */
export function pollerFlxpointActivities(sourceKey: string, settings?: FrWorkflowSettings) {
  return proxyActivities<Pick<FlxpointActivities, 'listNewFulfillmentRequests'>>({
    taskQueue: flxpointApiTaskQueue(workflowInfo().taskQueue, sourceKey),
    startToCloseTimeout: settings?.flxpointActivityTimeoutMs ?? '45 seconds',
    retry: FLXPOINT_LIST_RETRY,
  });
}

// No taskQueue: the workflow's own queue, which is the pipeline queue.
export function pipelineActivities(settings?: FrWorkflowSettings) {
  return proxyActivities<PipelineActivities>({
    startToCloseTimeout: settings?.pipelineActivityTimeoutMs ?? '2 minutes',
    retry: PIPELINE_RETRY,
  });
}

/**
 * The FR as the poll listed it (activities/fr-snapshot-cache.ts), on the pipeline queue: no Flxpoint request
 * and no slot of the source's rate-limited queue. Two quick attempts: a failure only means "read it from
 * Flxpoint", which the workflow then does.
 */
export function listedFrActivities() {
  return proxyActivities<FrSnapshotActivities>({
    startToCloseTimeout: '10 seconds',
    retry: LISTED_FR_RETRY,
  });
}

/**
 * The handler (decideFulfillmentRequest) heartbeats while it waits for the integrator's ERP/WMS, so an
 * operator's fail/cancel reaches it as an aborted `ctx.signal` within seconds (heartbeats are how a worker
 * learns of a cancellation; they are sent at most every 80 % of the heartbeat timeout).
 */
export function handlerActivities(settings?: FrWorkflowSettings) {
  return proxyActivities<Pick<PipelineActivities, 'decideFulfillmentRequest'>>({
    startToCloseTimeout: settings?.pipelineActivityTimeoutMs ?? '2 minutes',
    heartbeatTimeout: '10 seconds',
    retry: PIPELINE_RETRY,
  });
}
