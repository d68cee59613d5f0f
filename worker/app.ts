import { type Worker, type WorkflowBundleOption } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { ensureSchedules } from '../common/poll-schedule';
import { dataConverterFor } from '../common/temporal-client';
import { httpTimeoutFor, loadHandler } from '../handlers/load';
import { createStore, requestSlotsFor, storeConfigFromUrl } from '../store';
import type { FrStore } from '../store/types';
import type { AppConfig } from './config';
import { connectWorker } from './connection';
import { startHealthServer } from './health';
import { createWorkerMetrics } from './metrics';
import { createWorkers } from './workers';

// Composition of one worker process from a validated config. Startup order matters: dependencies that
// can fail on bad config (store, handler, keys) come first, so a misconfigured pod fails fast and never
// reports ready. Kept apart from worker/main.ts (signals, exit codes) so tests and the dev stack reuse it.

export interface WorkerApp {
  /** Resolves when every worker has stopped (after shutdown() or a fatal error). */
  done: Promise<void>;
  shutdown(): Promise<void>;
  store: FrStore;
  healthPort?: number;
}

export interface WorkerAppOptions {
  logger: Logger;
  workflows: { workflowBundle: WorkflowBundleOption } | { workflowsPath: string };
  dispatcher?: Dispatcher;
}

// Test harnesses build their own workers from these parts.
export { dataConverterFor };

export async function startWorkerApp(config: AppConfig, opts: WorkerAppOptions): Promise<WorkerApp> {
  const { logger } = opts;
  const dataConverter = dataConverterFor(config);
  // FR_HANDLER_TIMEOUT bounds one handler attempt; the http: handler's request ends a little sooner.
  const handler = await loadHandler(config.handler, {
    http: { timeoutMs: httpTimeoutFor(config.fr.handlerTimeout), headers: config.handlerHeaders },
  });
  const store = await createStore(storeConfigFromUrl(config.store));
  const requestSlots = requestSlotsFor(storeConfigFromUrl(config.store));
  const connection = await connectWorker(config.temporal);
  let workers: Worker[] = [];
  try {
    workers = await createWorkers({
      connection,
      config,
      store,
      handler,
      workflows: opts.workflows,
      dataConverter,
      dispatcher: opts.dispatcher,
      metrics: config.http.metricsPort ? createWorkerMetrics() : undefined,
      requestSlots,
    });
  } catch (err) {
    await requestSlots?.close();
    await store.close();
    await connection.close();
    throw err;
  }
  let stopping = false;
  const health = config.http.healthPort
    ? await startHealthServer(
        {
          ready: () => !stopping && workers.every((w) => w.getState() === 'RUNNING'),
          detail: () => ({
            workers: Object.fromEntries(workers.map((w) => [w.options.taskQueue, w.getState()])),
          }),
        },
        config.http.healthPort,
        config.http.host,
      )
    : undefined;

  const done = Promise.all(workers.map((w) => w.run())).then(
    () => undefined,
    async (err) => {
      // One worker failing takes the process down: better a restart than a half-working pod.
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      throw err;
    },
  );
  const finished = done.finally(async () => {
    health?.server.close();
    await requestSlots?.close();
    await store.close();
    await connection.close();
  });
  logger.info(
    {
      handler: handler.name,
      taskQueues: workers.map((w) => w.options.taskQueue),
      sources: config.sources.map((s) => ({
        key: s.key,
        sourceId: s.sourceId,
        requestsPerSecond: s.requestsPerSecond,
      })),
      mode: config.flxpoint.mode,
      encryption: dataConverter ? 'on' : 'off',
      healthPort: health?.port,
      metricsPort: config.http.metricsPort || undefined,
    },
    'worker started',
  );
  if (config.flxpoint.mode === 'shadow') {
    logger.warn(
      'FLXPOINT_MODE=shadow: FRs are polled, decided and committed as shadow; no write is sent to Flxpoint ' +
        '(each is recorded: status query, shadow_writes, flxpoint_shadow_writes). See docs/operations.md "Shadow mode"',
    );
  }
  if (config.ensureSchedulesOnStart) await ensureSchedules(config, logger);

  return {
    done: finished,
    store,
    healthPort: health?.port,
    async shutdown() {
      if (stopping) return finished;
      stopping = true;
      logger.info('shutting down: finishing in-flight tasks');
      for (const w of workers) if (w.getState() === 'RUNNING' || w.getState() === 'INITIALIZED') w.shutdown();
      return finished;
    },
  };
}
