import { ApplicationFailure } from '@temporalio/common';
import { FlxpointClient, type FlxpointClientOptions } from '../activities/flxpoint/client';
import type { ListPageResult } from '../activities/flxpoint-activities';
import type { InventorySyncActivities } from '../activities/inventory/sync-activities';
import { createShadowActivities, shadowRoutedStore, tagListMode } from '../activities/shadow-activities';
import {
  type CallContext,
  type FlxpointMode,
  type ShadowRecorder,
  ShadowingFlxpointClient,
} from '../activities/shadow-client';
import { databaseOf } from '../store/sql-store';
import { type ShadowStore, shadowStoreOf } from '../store/shadow-store';
import type { FrStore } from '../store/types';
import type { SourceConfig } from './config';

// Shadow mode in the worker's composition (docs/operations.md "Shadow mode"): the pieces worker/workers.ts
// puts around the ordinary activities and client. They are installed in every process, live or shadow,
// because what a write does depends on the workflow that asks for it (`shadow:fr:…` → recorded), and a
// live worker may run a shadow workflow's activity while a fleet switches modes.

export interface ShadowDeps {
  store: ShadowStore;
  /** Counts a recorded write (the `flxpoint_shadow_writes` metric). */
  onWrite?: (endpoint: string, sourceKey: string) => void;
}

export interface ShadowMetrics {
  shadowWrite?(endpoint: string, sourceKey: string): void;
}

/** The shadow tables of the worker's store; a store this project did not make (a test's wrapper) has none. */
export function shadowDepsFor(store: FrStore, metrics?: ShadowMetrics): ShadowDeps {
  return {
    store: databaseOf(store) ? shadowStoreOf(store) : NO_SHADOW_STORE,
    onWrite: metrics?.shadowWrite?.bind(metrics),
  };
}

/** The Flxpoint client of one source, guarding every write by the calling workflow's mode. */
export function modeAwareClient(
  shadow: ShadowDeps | undefined,
  mode: FlxpointMode | undefined,
  source: Pick<SourceConfig, 'key' | 'sourceId'>,
  options: FlxpointClientOptions,
  /** Who is calling; default: the Temporal activity context (tests pass their own). */
  context?: () => CallContext | undefined,
): FlxpointClient {
  if (!shadow) return new FlxpointClient(options);
  const recorder: ShadowRecorder = {
    async record(write) {
      const res = await shadow.store.recordWrite(write);
      if (res.inserted) shadow.onWrite?.(write.endpoint, source.key);
      return res;
    },
  };
  return new ShadowingFlxpointClient({
    ...options,
    mode: mode ?? 'live',
    sourceId: source.sourceId,
    recorder,
    context,
  });
}

/** The pipeline worker's store: shadow workflows' commits, outcomes and shipments go to the shadow tables. */
export function pipelineStore(shadow: ShadowDeps, store: FrStore): FrStore {
  return shadowRoutedStore(store, shadow.store);
}

/** Extra pipeline activities: a shadow workflow reads its recorded writes back for its `status`. */
export function shadowPipelineActivities(shadow: ShadowDeps) {
  return createShadowActivities(shadow.store);
}

/** A shadow worker's list pages tell the poller to start shadow workflows. */
export function modeTaggedApi<
  A extends { listNewFulfillmentRequests(input: never): Promise<ListPageResult> },
>(mode: FlxpointMode | undefined, activities: A): A {
  return tagListMode(activities, mode ?? 'live');
}

/** The failure type of an inventory activity asked of a shadow worker (non-retryable). */
export const SHADOW_NO_INVENTORY = 'ShadowModeNoInventory';

/** The first activity each inventory workflow runs (the sync's staging, the urgent path's two): typed. */
const FIRST_INVENTORY_ACTIVITIES: readonly (keyof InventorySyncActivities)[] = [
  'stageInventoryDelta',
  'resolveUrgentVariantIds',
  'pushUrgentVariants',
];

/**
 * Names of the inventory activities (the scheduled sync's and the urgent pushes', activities/inventory/
 * sync-activities.ts). The rest are plain strings, checked against the real object by
 * test/unit/shadow-inventory.test.ts; a name that is not (or no longer) an activity costs nothing.
 */
export const INVENTORY_ACTIVITY_NAMES: readonly string[] = [
  ...FIRST_INVENTORY_ACTIVITIES,
  'planInventoryLookups',
  'discoverInventoryVariants',
  'createUnknownInventoryVariants',
  'planInventoryBatches',
  'pushInventoryBatch',
  'finishInventorySync',
];

/**
 * A shadow worker pushes no inventory (a push has no shadow form), but a sync scheduled for one of its
 * sources must not wait on its queue until the workflow's timeout with nothing to see: every inventory
 * activity fails at once, not retried, with what to do. The first one (staging) fails the sync's workflow,
 * so the Web UI shows this message within seconds.
 */
export function shadowInventoryActivities(
  stockSourceVariable: string,
): Record<string, (...args: unknown[]) => Promise<never>> {
  const message =
    `shadow mode: this worker does not push inventory; leave ${stockSourceVariable} unset until the source ` +
    'is live, or run a live worker (FLXPOINT_MODE=live)';
  const refuse = async (): Promise<never> => {
    throw ApplicationFailure.create({ type: SHADOW_NO_INVENTORY, message, nonRetryable: true });
  };
  return Object.fromEntries(INVENTORY_ACTIVITY_NAMES.map((name) => [name, refuse]));
}

const refuse = (): never => {
  throw new Error(
    'shadow mode needs the store made by store/ (createStore): this worker was given another store, so it ' +
      "cannot record a shadow workflow's writes; nothing was sent",
  );
};
const NO_SHADOW_STORE: ShadowStore = {
  commit: refuse,
  get: refuse,
  recordOutcome: refuse,
  recordShipment: refuse,
  recordWrite: refuse,
  listWrites: refuse,
  stats: refuse,
};
