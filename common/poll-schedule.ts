import {
  type Client,
  ScheduleNotFoundError,
  ScheduleOverlapPolicy,
  type ScheduleOptions,
} from '@temporalio/client';
import type { Logger } from 'pino';
import type { FrWorkflowSettings, PollFulfillmentRequestsInput } from '../workflows/definitions';
import type { InventorySyncInput } from '../workflows/inventory-sync';
import type { InventoryUrgentInput } from '../workflows/inventory-urgent';
import { newWorkStatus } from '../activities/flxpoint/dialect';
import type { SchedulesConfig, SourceSettings } from './config';
import {
  inventorySyncScheduleId,
  inventoryUrgentWorkflowId,
  inventorySyncWorkflowIdPrefix,
  pollScheduleId,
  pollWorkflowIdPrefix,
} from './ids';
import { SOURCE_ID, SOURCE_KEY } from './search-attributes';
import { connectTemporalClient } from './temporal-client';

// One Temporal Schedule per source starts the poller. Overlap SKIP: a tick while a poll still runs is
// dropped (one poller per token, never parallel). A short catch-up window: after downtime the schedule
// runs once, it does not replay every missed tick. Created by the schedule Job, the CLI's `schedules
// create|update` and, in development, the worker (ENSURE_SCHEDULES_ON_START): none of them needs a token.

export interface PollScheduleSettings {
  /** The pipeline task queue the poller runs on. */
  taskQueue: string;
  newStatus: string;
  maxFrsPerRun: number;
  fr: FrWorkflowSettings;
  /** FLXPOINT_REPOLL_AFTER in ms; 0 = off. */
  repollAfterMs: number;
}

export function pollSettings(config: SchedulesConfig): PollScheduleSettings {
  return {
    taskQueue: config.temporal.taskQueue,
    newStatus: newWorkStatus(config.flxpoint.listDialect),
    maxFrsPerRun: config.fr.maxFrsPerPoll,
    repollAfterMs: config.flxpoint.repollAfter,
    fr: {
      shipmentDeadlineMs: config.fr.shipmentDeadline,
      pipelineActivityTimeoutMs: config.fr.handlerTimeout,
      // The client's own timeout plus room for connecting and for the activity's bookkeeping.
      flxpointActivityTimeoutMs: config.flxpoint.requestTimeout + 15_000,
    },
  };
}

export function pollScheduleOptions(source: SourceSettings, settings: PollScheduleSettings): ScheduleOptions {
  const input: PollFulfillmentRequestsInput = {
    sourceKey: source.key,
    sourceId: source.sourceId,
    pageSize: source.pageSize,
    newStatus: settings.newStatus,
    maxFrsPerRun: settings.maxFrsPerRun,
    fr: settings.fr,
    ...(settings.repollAfterMs > 0
      ? { repollAfterMs: settings.repollAfterMs, pollIntervalMs: source.pollInterval }
      : {}),
  };
  return {
    scheduleId: pollScheduleId(source.key),
    spec: { intervals: [{ every: source.pollInterval }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'pollFulfillmentRequestsWorkflow',
      workflowId: pollWorkflowIdPrefix(source.key),
      taskQueue: settings.taskQueue,
      args: [input],
      // A poll that cannot finish (Flxpoint down for long) gives way to a fresh one eventually.
      workflowExecutionTimeout: Math.max(10 * source.pollInterval, 10 * 60_000),
      typedSearchAttributes: [
        { key: SOURCE_KEY, value: source.key },
        { key: SOURCE_ID, value: String(source.sourceId) },
      ],
      staticSummary: `Poll Flxpoint source ${source.key} (${source.sourceId})`,
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: Math.max(10_000, Math.min(source.pollInterval, 5 * 60_000)),
      pauseOnFailure: false,
    },
    memo: { sourceKey: source.key },
  };
}

/**
 * The inventory sync of a source with a stock source (docs/operations.md "Inventory sync"): every
 * `inventoryInterval` (default 15 min), overlap SKIP (a sync still pushing makes the next tick wait for the
 * one after), on the pipeline queue; its activities run on the source's API queue.
 */
export function inventoryScheduleOptions(
  source: SourceSettings,
  settings: PollScheduleSettings,
): ScheduleOptions {
  const input: InventorySyncInput = {
    sourceKey: source.key,
    sourceId: source.sourceId,
    flxpointActivityTimeoutMs: settings.fr.flxpointActivityTimeoutMs,
  };
  return {
    scheduleId: inventorySyncScheduleId(source.key),
    spec: { intervals: [{ every: source.inventoryInterval }] },
    action: {
      type: 'startWorkflow',
      workflowType: 'inventorySyncWorkflow',
      workflowId: inventorySyncWorkflowIdPrefix(source.key),
      taskQueue: settings.taskQueue,
      args: [input],
      typedSearchAttributes: [
        { key: SOURCE_KEY, value: source.key },
        { key: SOURCE_ID, value: String(source.sourceId) },
      ],
      staticSummary: `Inventory sync of source ${source.key} (${source.sourceId})`,
      // A sync that cannot finish (Flxpoint down for hours) gives way to a fresh one, which recomputes the
      // delta from what Flxpoint confirmed. A first push of 100,000 SKUs takes about 17 minutes.
      workflowExecutionTimeout: Math.max(12 * 3600_000, 4 * source.inventoryInterval),
    },
    policies: {
      overlap: ScheduleOverlapPolicy.SKIP,
      catchupWindow: Math.max(10_000, Math.min(source.inventoryInterval, 5 * 60_000)),
      pauseOnFailure: false,
    },
    memo: { sourceKey: source.key },
  };
}

/**
 * Creates the schedule, or updates spec/action/policies of an existing one. Re-running setup never
 * duplicates a schedule and never resets its state (a paused schedule stays paused, its note intact).
 */
export async function ensurePollSchedule(
  client: Client,
  source: SourceSettings,
  settings: PollScheduleSettings,
): Promise<'created' | 'updated'> {
  return ensureSchedule(client, pollScheduleOptions(source, settings));
}

async function ensureSchedule(client: Client, options: ScheduleOptions): Promise<'created' | 'updated'> {
  const handle = client.schedule.getHandle(options.scheduleId);
  try {
    await handle.describe();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
    try {
      await client.schedule.create(options);
      return 'created';
    } catch (createErr) {
      // Someone else created it between describe and create: fall through to update.
      if ((createErr as Error).name !== 'ScheduleAlreadyRunning') throw createErr;
    }
  }
  await handle.update((prev) => ({
    ...prev,
    spec: options.spec,
    action: options.action,
    policies: { ...prev.policies, ...options.policies },
  }));
  return 'updated';
}

export type EnsuredSchedule = {
  sourceKey: string;
  sourceId: number;
  scheduleId: string;
  result: 'created' | 'updated';
  everyMs: number;
};

/**
 * The loop behind both: every configured source that `only` names (all when absent) and `wanted` accepts,
 * in configuration order, one at a time.
 */
async function ensureForSources(
  config: SchedulesConfig,
  only: readonly string[] | undefined,
  wanted: (source: SourceSettings) => boolean,
  ensure: (source: SourceSettings, settings: PollScheduleSettings) => Promise<EnsuredSchedule>,
): Promise<EnsuredSchedule[]> {
  const settings = pollSettings(config);
  const results: EnsuredSchedule[] = [];
  for (const source of config.sources) {
    if (!wanted(source) || (only && !only.includes(source.key))) continue;
    results.push(await ensure(source, settings));
  }
  return results;
}

/** Creates or updates the poll schedule of every configured source, or of `only` those. */
export function ensurePollSchedules(
  client: Client,
  config: SchedulesConfig,
  only?: readonly string[],
): Promise<EnsuredSchedule[]> {
  return ensureForSources(
    config,
    only,
    () => true,
    async (source, settings) => ({
      sourceKey: source.key,
      sourceId: source.sourceId,
      scheduleId: pollScheduleId(source.key),
      result: await ensurePollSchedule(client, source, settings),
      everyMs: source.pollInterval,
    }),
  );
}

/** Creates or updates the inventory sync schedule of every source that configures a stock source. */
export function ensureInventorySchedules(
  client: Client,
  config: SchedulesConfig,
  only?: readonly string[],
): Promise<EnsuredSchedule[]> {
  return ensureForSources(
    config,
    only,
    (source) => Boolean(source.stockSource),
    async (source, settings) => {
      const ensured: EnsuredSchedule = {
        sourceKey: source.key,
        sourceId: source.sourceId,
        scheduleId: inventorySyncScheduleId(source.key),
        result: await ensureSchedule(client, inventoryScheduleOptions(source, settings)),
        everyMs: source.inventoryInterval,
      };
      // The source's urgent-push workflow (intake POST /inventory, CLI `inventory push`): started once, kept.
      const urgent: InventoryUrgentInput = {
        sourceKey: source.key,
        sourceId: source.sourceId,
        flxpointActivityTimeoutMs: settings.fr.flxpointActivityTimeoutMs,
      };
      await client.workflow.start('inventoryUrgentWorkflow', {
        workflowId: inventoryUrgentWorkflowId(source.sourceId),
        taskQueue: settings.taskQueue,
        args: [urgent],
        workflowIdConflictPolicy: 'USE_EXISTING',
        typedSearchAttributes: [
          { key: SOURCE_KEY, value: source.key },
          { key: SOURCE_ID, value: String(source.sourceId) },
        ],
        staticSummary: `Urgent inventory pushes of source ${source.key} (${source.sourceId})`,
      });
      return ensured;
    },
  );
}

/** Connects, creates or updates every source's poll (and inventory sync) schedule, logs each, disconnects. */
export async function ensureSchedules(config: SchedulesConfig, logger: Logger): Promise<void> {
  const temporal = await connectTemporalClient(config);
  try {
    for (const s of await ensurePollSchedules(temporal.client, config)) {
      logger.info(
        { sourceKey: s.sourceKey, result: s.result, every: `${s.everyMs} ms` },
        'poll schedule ready',
      );
    }
    for (const s of await ensureInventorySchedules(temporal.client, config)) {
      logger.info(
        { sourceKey: s.sourceKey, result: s.result, every: `${s.everyMs} ms` },
        'inventory sync schedule ready',
      );
    }
  } finally {
    await temporal.close();
  }
}
