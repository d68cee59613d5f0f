import { Context } from '@temporalio/activity';
import { isShadowWorkflowId } from '../common/ids';
import type { RecordedWrite } from '../common/shadow';
import type { ShadowStore } from '../store/shadow-store';
import type { FrStore } from '../store/types';
import type { ListPageResult } from './flxpoint-activities';
import type { FlxpointMode } from './shadow-client';

// Shadow mode's activity side (docs/operations.md "Shadow mode"). The worker composition (worker/workers.ts)
// applies these around the ordinary activities; the workflows see the same activities in both modes.

/**
 * The store the pipeline activities use: calls made for a `shadow:fr:…` workflow (commit, outcome, shipment
 * record) go to the shadow tables, every other call to the live ones. Decided by the calling workflow, like
 * the Flxpoint writes, so a shadow run can never occupy the live commit's key.
 */
export function shadowRoutedStore(
  live: FrStore,
  shadow: ShadowStore,
  workflowId: () => string | undefined = callingWorkflowId,
): FrStore {
  const pick = () => {
    const id = workflowId();
    return id !== undefined && isShadowWorkflowId(id) ? shadow : live;
  };
  return {
    migrate: () => live.migrate(),
    close: () => live.close(),
    commit: (input) => pick().commit(input),
    get: (sourceId, frId) => pick().get(sourceId, frId),
    recordOutcome: (sourceId, frId, outcome) => pick().recordOutcome(sourceId, frId, outcome),
    recordShipment: (s) => pick().recordShipment(s),
  };
}

/** Pipeline-queue activities of shadow workflows: reading back what they recorded (for their `status`). */
export function createShadowActivities(shadow: ShadowStore) {
  return {
    /** The writes recorded for one workflow id, oldest first, as the FR workflow's status shows them. */
    async listShadowWrites(input: { workflowId: string }): Promise<RecordedWrite[]> {
      return (await shadow.listWrites(input.workflowId)).map((w) => ({
        endpoint: w.endpoint,
        method: w.method,
        path: w.path,
        ...(w.query ? { query: w.query } : {}),
        body: w.body,
        recordedAt: w.recordedAt,
      }));
    },
  };
}

export type ShadowActivities = ReturnType<typeof createShadowActivities>;

/** What a list page tells the poller about the worker that read it. */
export interface ListModeTag {
  /** Present only in shadow mode: the poller then starts `shadow:fr:…` workflows for the page's FRs. */
  shadow?: true;
}

/**
 * The list activity of a shadow worker tags its pages, so the poller (which cannot read the process's
 * configuration) starts shadow workflows. A live worker's pages are unchanged.
 */
export function tagListMode<A extends { listNewFulfillmentRequests(input: never): Promise<ListPageResult> }>(
  activities: A,
  mode: FlxpointMode,
): A {
  if (mode === 'live') return activities;
  const list = activities.listNewFulfillmentRequests.bind(activities) as (
    ...args: Parameters<A['listNewFulfillmentRequests']>
  ) => Promise<ListPageResult>;
  return {
    ...activities,
    async listNewFulfillmentRequests(...args: Parameters<A['listNewFulfillmentRequests']>) {
      const page = await list(...args);
      return { ...page, shadow: true } satisfies ListPageResult & ListModeTag;
    },
  };
}

function callingWorkflowId(): string | undefined {
  try {
    return Context.current().info.workflowExecution?.workflowId;
  } catch {
    return undefined; // not inside an activity
  }
}
