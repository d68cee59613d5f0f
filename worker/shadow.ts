import { FlxpointClient, type FlxpointClientOptions } from '../activities/flxpoint/client';
import type { ListPageResult } from '../activities/flxpoint-activities';
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
