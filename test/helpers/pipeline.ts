import { randomInt } from 'node:crypto';
import { join } from 'node:path';
import { Client, WorkflowFailedError } from '@temporalio/client';
import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { describeFailure } from './failures';
import type { Worker } from '@temporalio/worker';
import type { FrHandler } from '../../handlers/types';
import { startSimulator, type RunningSimulator } from '../../simulator/server';
import type { SimulatorOptions } from '../../simulator/options';
import type { CountersSnapshot } from '../../simulator/counters';
import { createStore } from '../../store';
import type { FrStore } from '../../store/types';
import { frWorkflowId } from '../../common/ids';
import { loadConfig, type AppConfig } from '../../worker/config';
import { createWorkers } from '../../worker/workers';
import { dataConverterFor } from '../../worker/app';
import { pollSettings } from '../../common/poll-schedule';
import type { FrStatus, PollFulfillmentRequestsInput, PollSummary } from '../../workflows/definitions';
import { statusQuery } from '../../workflows/definitions';
import { connectTemporal, uniqueTaskQueue, workflowBundle, type TestTemporal } from './temporal';

export const WORKFLOWS_PATH = join(__dirname, '../../workflows/index.ts');

/** The real pipeline for one test: simulator, embedded store, real workers on a fresh task queue. */
export interface Pipeline {
  sim: RunningSimulator;
  sourceKey: string;
  sourceId: number;
  token: string;
  /** Ids of the FRs seeded at start, ascending. */
  frIds: number[];
  /** Creates more NEW FRs for this source; returns their ids. */
  seed(o: { count: number; itemsPerFr?: number; quantity?: { min: number; max: number } }): number[];
  config: AppConfig;
  store: FrStore;
  /** A client with the pipeline's data converter (encrypting when FLXPOINT_ENCRYPTION_KEYS is set). */
  client: Client;
  /** Runs one poll (the same workflow the schedule starts) to completion. */
  poll(): Promise<PollSummary>;
  frWorkflowId(frId: number): string;
  status(frId: number): Promise<FrStatus>;
  counters(): CountersSnapshot;
  startWorkers(): Promise<void>;
  stopWorkers(): Promise<void>;
  close(): Promise<void>;
}

export interface PipelineOptions {
  seed?: { count: number; itemsPerFr?: number; quantity?: { min: number; max: number } };
  handler?: FrHandler;
  simulator?: Partial<SimulatorOptions>;
  /** The source's budget; tests that do not measure it run faster with more. */
  requestsPerSecond?: number;
  pageSize?: number;
  shipmentDeadline?: string;
  env?: Record<string, string>;
  store?: FrStore;
  startWorkers?: boolean;
}

export const acceptAll: FrHandler = { name: 'test-accept-all', decide: async () => ({ kind: 'accept' }) };

export async function startPipeline(t: TestTemporal, opts: PipelineOptions = {}): Promise<Pipeline> {
  const sourceKey = `t${randomInt(1e6, 1e7)}`;
  const sourceId = randomInt(100_000, 999_999);
  const token = `token-${sourceKey}`;
  const sim = await startSimulator({
    port: 0,
    tokens: { [token]: sourceId },
    randomSeed: sourceId,
    ...opts.simulator,
    rateLimit: { enabled: false, ...opts.simulator?.rateLimit },
  });
  const config = loadConfig({
    TEMPORAL_ADDRESS: t.address,
    TEMPORAL_TASK_QUEUE: uniqueTaskQueue('pipeline'),
    FLXPOINT_BASE_URL: sim.url,
    FLXPOINT_SOURCES: `${sourceKey}:${sourceId}`,
    [`FLXPOINT_TOKEN_${sourceKey.toUpperCase()}`]: token,
    FLXPOINT_REQUESTS_PER_SECOND: String(opts.requestsPerSecond ?? 50),
    FLXPOINT_PAGE_SIZE: String(opts.pageSize ?? 100),
    FR_SHIPMENT_DEADLINE: opts.shipmentDeadline ?? '7 days',
    STORE_URL: 'embedded',
    ...opts.env,
  });
  const store = opts.store ?? (await createStore({ kind: 'embedded' }));
  const dataConverter = dataConverterFor(config);
  const client = dataConverter ? new Client({ connection: t.connection, dataConverter }) : t.client;
  const bundle = await workflowBundle(WORKFLOWS_PATH, dataConverter?.failureConverterPath);
  let workers: Worker[] = [];
  let running: Promise<unknown> | undefined;

  const seed: Pipeline['seed'] = (o) => sim.state.seed({ ...o, sourceId });
  const p: Pipeline = {
    sim,
    sourceKey,
    sourceId,
    token,
    client,
    frIds: opts.seed ? seed(opts.seed) : [],
    seed,
    config,
    store,
    async poll() {
      const source = config.sources[0]!;
      const s = pollSettings(config);
      const input: PollFulfillmentRequestsInput = {
        sourceKey,
        sourceId,
        pageSize: source.pageSize,
        newStatus: s.newStatus,
        maxFrsPerRun: s.maxFrsPerRun,
        fr: s.fr,
      };
      return client.workflow.execute('pollFulfillmentRequestsWorkflow', {
        taskQueue: config.temporal.taskQueue,
        workflowId: `poll-${sourceKey}-${Date.now()}-${randomInt(1e6)}`,
        args: [input],
      });
    },
    frWorkflowId: (frId) => frWorkflowId(sourceId, frId),
    status: (frId) => client.workflow.getHandle(frWorkflowId(sourceId, frId)).query(statusQuery),
    counters: () => sim.state.snapshotCounters(),
    async startWorkers() {
      workers = await createWorkers({
        connection: t.nativeConnection,
        config,
        store,
        handler: opts.handler ?? acceptAll,
        workflows: { workflowBundle: { code: bundle.code } },
        dataConverter,
      });
      running = Promise.all(workers.map((w) => w.run()));
    },
    async stopWorkers() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
      workers = [];
      running = undefined;
    },
    async close() {
      await p.stopWorkers();
      await sim.close();
      if (!opts.store) await store.close();
    },
  };
  if (opts.startWorkers !== false) await p.startWorkers();
  return p;
}

/** What pipelinePerTest gives a describe block. */
export interface PipelinePerTest {
  /** The connection to the run's dev server; usable inside tests and hooks (connected in beforeAll). */
  readonly t: TestTemporal;
  /** Starts this test's pipeline (startPipeline); it is closed after the test. */
  start(opts?: PipelineOptions): Promise<Pipeline>;
}

/**
 * The setup of a describe block whose tests each run their own pipeline: connects to the dev server before
 * the block, closes the test's pipeline after each test and disconnects after the block. Call it at the
 * top of the describe callback.
 */
export function pipelinePerTest(): PipelinePerTest {
  let t: TestTemporal | undefined;
  let current: Pipeline | undefined;
  beforeAll(async () => {
    t = await connectTemporal();
  });
  afterEach(async () => {
    await current?.close();
    current = undefined;
  });
  afterAll(async () => t?.close());
  const connected = (): TestTemporal => {
    if (!t) throw new Error('pipelinePerTest: not connected yet (use it inside a test or hook)');
    return t;
  };
  return {
    get t() {
      return connected();
    },
    async start(opts) {
      current = await startPipeline(connected(), opts);
      return current;
    },
  };
}

/**
 * `vi.waitFor` with a name: retries `check` every 200 ms until it returns a truthy value (a throw counts as
 * "not yet"), then returns that value. On timeout the error names what was awaited and keeps the last
 * error as its cause. Prefer `expect.poll(...)` when the awaited fact is one value a matcher can show.
 */
export async function eventually<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  timeoutMs = 60_000,
): Promise<T> {
  try {
    return await vi.waitFor(
      async () => {
        const v = await check();
        if (!v) throw new Error(`not yet (${String(v)})`);
        return v;
      },
      { timeout: timeoutMs, interval: 200 },
    );
  } catch (err) {
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last: ${(err as Error).message}`, {
      cause: err,
    });
  }
}

/**
 * Waits until `pending()` is empty, failing only when it stops shrinking for `stallMs`: a backlog that
 * drains slowly on a loaded machine is not a failure, one that stops draining is, and the error lists what
 * was still pending. (A fixed total timeout made the outcome depend on how busy the two cores were.)
 */
export async function drained<T>(
  what: string,
  pending: () => Promise<T[]> | T[],
  stallMs = 90_000,
): Promise<void> {
  let left = await pending();
  while (left.length > 0) {
    const before = left.length;
    try {
      left = await vi.waitFor(
        async () => {
          const now = await pending();
          if (now.length >= before) throw new Error(`${now.length} still pending`);
          return now;
        },
        { timeout: stallMs, interval: 250 },
      );
    } catch {
      const now = await pending();
      throw new Error(
        `${what}: no progress for ${stallMs} ms, ${now.length} still pending: ${now.slice(0, 20).join(', ')}${now.length > 20 ? ', ...' : ''}`,
      );
    }
  }
}

/**
 * The result of a workflow. When it failed, the error names the workflow and its whole failure chain
 * (`WorkflowFailedError → ActivityFailure(x) → ApplicationFailure[type]: message`), the original as cause.
 */
export async function outcomeOf(t: { client: Client }, workflowId: string): Promise<FrStatus> {
  try {
    return await t.client.workflow.getHandle(workflowId).result();
  } catch (err) {
    if (err instanceof WorkflowFailedError)
      throw new Error(`${workflowId} failed: ${describeFailure(err)}`, { cause: err });
    throw err;
  }
}
