import type { DataConverter } from '@temporalio/common';
import { type NativeConnection, Runtime, Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { Dispatcher } from 'undici';
import { createFlxpointActivities, createPipelineActivities } from '../activities';
import { logAcknowledgeMethodFinding } from '../activities/ack-method-finding';
import { createFrSnapshotActivities, FrSnapshotCache } from '../activities/fr-snapshot-cache';
import { createRequestPacer, type RequestPacer } from '../activities/request-pacer';
import type { FlxpointActivityMetrics } from '../activities/flxpoint-activities';
import type { FlxpointClient } from '../activities/flxpoint/client';
import { newWorkStatus } from '../activities/flxpoint/dialect';
import {
  type ShadowDeps,
  type ShadowMetrics,
  modeAwareClient,
  modeTaggedApi,
  pipelineStore,
  shadowDepsFor,
  shadowInventoryActivities,
  shadowPipelineActivities,
} from './shadow';
import { flxpointApiTaskQueue } from '../common/task-queues';
import { stockSourceVariable } from '../common/config/variables';
import {
  createInventorySyncActivities,
  type InventoryMetrics,
} from '../activities/inventory/sync-activities';
import { loadStockSource } from '../stock-sources/load';
import type { StockSource } from '../stock-sources/types';
import { databaseOf } from '../store/sql-store';
import { inventoryStoreOf } from '../store/inventory-store';
import type { FrHandler } from '../handlers/types';
import type { RequestSlots } from '../store/request-slots';
import type { FrStore } from '../store/types';
import type { AppConfig, SourceConfig } from './config';

// Composition of the worker process: one worker on the pipeline queue (all workflows plus the handler
// and commit activities) and one worker per source on that source's Flxpoint queue, whose
// maxTaskQueueActivitiesPerSecond is the token's budget. Temporal enforces that limit server-side, so
// it holds across every replica of this process.

export interface WorkerDeps {
  connection: NativeConnection;
  config: Pick<AppConfig, 'temporal' | 'flxpoint' | 'sources'> & Partial<Pick<AppConfig, 'shutdownGrace'>>;
  store: FrStore;
  handler: FrHandler;
  /** Pre-built bundle (production) or the workflows source path (dev, tests). */
  workflows: { workflowBundle: WorkflowBundleOption } | { workflowsPath: string };
  dataConverter?: DataConverter;
  dispatcher?: Dispatcher;
  metrics?: FlxpointActivityMetrics & {
    outcome?(outcome: string, sourceKey?: string): void;
  } & ShadowMetrics &
    InventoryMetrics;
  /** Only some roles in this process (e.g. a test that runs the API worker alone). */
  roles?: { pipeline?: boolean; sources?: string[] };
  /** Shadow mode's store and metric; default: the shadow tables of `store` (worker/shadow.ts). */
  shadow?: ShadowDeps;
  /**
   * Request slots shared by every replica (the PostgreSQL store's database): each source's requests leave
   * 1/rate apart across all processes. Without it each process paces only itself (one replica, embedded).
   */
  requestSlots?: RequestSlots;
  /** Stock sources by source key, instead of reading each source's `stockSource` spec (tests). */
  stockSources?: Record<string, StockSource>;
  /** Where start-up warnings go (a stock source that cannot be opened); default: the SDK runtime's logger. */
  warn?: (message: string, meta: Record<string, unknown>) => void;
}

export function flxpointClientFor(
  config: WorkerDeps['config'],
  source: SourceConfig,
  dispatcher?: Dispatcher,
  pacer?: RequestPacer,
  shadow?: ShadowDeps,
): FlxpointClient {
  // Every worker's client guards writes by the calling workflow's mode (activities/shadow-client.ts).
  return modeAwareClient(shadow, config.flxpoint.mode, source, {
    baseUrl: config.flxpoint.baseUrl,
    token: source.token,
    listDialect: config.flxpoint.listDialect,
    acknowledgeMethod: config.flxpoint.acknowledgeMethod,
    requestTimeoutMs: config.flxpoint.requestTimeout,
    dispatcher,
    // An acknowledge that falls back to the other method sends a second request: paced like any other.
    beforeExtraRequest: pacer ? () => pacer.take() : undefined,
    onAcknowledgeMethodFinding: logAcknowledgeMethodFinding,
  });
}

export async function createWorkers(deps: WorkerDeps): Promise<Worker[]> {
  const { config } = deps;
  const shadow = deps.shadow ?? shadowDepsFor(deps.store, deps.metrics);
  const common = {
    connection: deps.connection,
    namespace: config.temporal.namespace,
    dataConverter: deps.dataConverter,
    // On shutdown, in-flight activities get this long to finish; then they are cancelled and Temporal
    // retries them on another worker (every activity is idempotent).
    shutdownGraceTime: config.shutdownGrace ?? 60_000,
  };
  // Stock sources first: one that cannot be loaded is a configuration error, raised before any worker exists.
  const stockSources = new Map<string, StockSource | undefined>();
  for (const source of config.sources) stockSources.set(source.key, await stockSourceFor(deps, source));
  await checkStockSources(deps, stockSources);
  const workers: Worker[] = [];
  // FRs the poll listed, for their workflow's first read (one process: the list runs on this process's
  // source worker, the read on its pipeline worker; another replica's read misses and GETs the FR).
  const listed = new FrSnapshotCache();
  if (deps.roles?.pipeline !== false) {
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: config.temporal.taskQueue,
        ...deps.workflows,
        activities: {
          ...createPipelineActivities({
            store: pipelineStore(shadow, deps.store),
            handler: deps.handler,
            onOutcome: deps.metrics?.outcome?.bind(deps.metrics),
          }),
          ...createFrSnapshotActivities(listed),
          ...shadowPipelineActivities(shadow),
        },
      }),
    );
  }
  const only = deps.roles?.sources;
  for (const source of config.sources) {
    if (only && !only.includes(source.key)) continue;
    const pacer =
      deps.requestSlots?.pacerFor(source.sourceId, source.requestsPerSecond) ??
      createRequestPacer(source.requestsPerSecond);
    const client = flxpointClientFor(config, source, deps.dispatcher, pacer, shadow);
    const stockSource = stockSources.get(source.key);
    // The inventory sync runs on the same queue, through the same client and pacer: one token, one budget.
    // Not in shadow mode: a shadow worker refuses every live write, and an inventory push has no shadow form;
    // there each inventory activity fails at once, not retried, saying so (worker/shadow.ts).
    const inventory =
      stockSource && config.flxpoint.mode === 'shadow'
        ? shadowInventoryActivities(stockSourceVariable(source.key))
        : stockSource && databaseOf(deps.store)
          ? createInventorySyncActivities({
              sourceId: source.sourceId,
              sourceKey: source.key,
              client,
              store: inventoryStoreOf(deps.store),
              stockSource,
              disappeared: source.inventoryDisappeared,
              createUnknown: source.inventoryCreateUnknown,
              pacer,
              metrics: deps.metrics,
            })
          : {};
    workers.push(
      await Worker.create({
        ...common,
        taskQueue: flxpointApiTaskQueue(config.temporal.taskQueue, source.key),
        activities: {
          ...inventory,
          ...modeTaggedApi(
            config.flxpoint.mode,
            createFlxpointActivities(client, {
              newStatus: newWorkStatus(config.flxpoint.listDialect),
              metrics: deps.metrics,
              pacer,
              ...(config.flxpoint.listFed === false
                ? {}
                : { listed: { cache: listed, sourceId: source.sourceId } }),
            }),
          ),
        },
        // The token's budget: 2 req/s by default, shared by the poller and every FR of this source.
        maxTaskQueueActivitiesPerSecond: source.requestsPerSecond,
        // Local activities would bypass the task-queue limit; Flxpoint calls never use them.
        enableNonLocalActivities: true,
      }),
    );
  }
  return workers;
}

/** The source's stock reader, from the test's injection or its `stockSource` spec; none = no inventory sync. */
async function stockSourceFor(deps: WorkerDeps, source: SourceConfig): Promise<StockSource | undefined> {
  const injected = deps.stockSources?.[source.key];
  if (injected) return injected;
  if (!source.stockSource) return undefined;
  try {
    return await loadStockSource(source.stockSource, { setting: stockSourceVariable(source.key) });
  } catch (err) {
    throw new StockSourceConfigError(`${stockSourceVariable(source.key)}: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Once at start, for each source this process serves: can its stock source be opened (a file exists and is
 * readable; a module loaded already, an HTTP endpoint is not asked)? If not, a warning naming the source and
 * the problem, and the worker starts anyway: the file may appear later (an ERP export that runs hourly); until
 * then each sync's staging fails with the same message. A shadow worker says instead that it pushes no
 * inventory. A module that cannot be loaded stays a configuration error (exit 2): it ships with the worker.
 */
async function checkStockSources(
  deps: WorkerDeps,
  stockSources: Map<string, StockSource | undefined>,
): Promise<void> {
  const warn =
    deps.warn ??
    ((message: string, meta: Record<string, unknown>) => Runtime.instance().logger.warn(message, meta));
  const only = deps.roles?.sources;
  for (const source of deps.config.sources) {
    const stock = stockSources.get(source.key);
    if (!stock || (only && !only.includes(source.key))) continue;
    const variable = stockSourceVariable(source.key);
    if (deps.config.flxpoint.mode === 'shadow') {
      warn(
        `source ${source.key}: ${variable} is set, but this worker is in shadow mode and pushes no inventory: ` +
          `its inventory syncs fail at once; leave ${variable} unset until the source is live`,
        { sourceKey: source.key, stockSource: stock.name },
      );
      continue;
    }
    try {
      await stock.check?.();
    } catch (err) {
      warn(
        `source ${source.key}: stock source ${stock.name} cannot be opened: ${(err as Error).message}. ` +
          'The worker starts anyway; inventory syncs fail until this is fixed',
        { sourceKey: source.key, stockSource: stock.name, variable },
      );
    }
  }
}

/** A configured stock source the worker cannot load (a module that is missing or exports no reader). */
export class StockSourceConfigError extends Error {
  override name = 'StockSourceConfigError';
}
