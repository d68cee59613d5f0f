import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import {
  bundleWorkflowCode,
  NativeConnection,
  Runtime,
  DefaultLogger,
  Worker,
  type WorkerOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { inject } from 'vitest';

let runtimeInstalled = false;
/** Keep the SDK quiet in test output unless TEST_LOG is set. */
export function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  if (!process.env.TEST_LOG) Runtime.install({ logger: new DefaultLogger('ERROR') });
}

export interface TestTemporal {
  address: string;
  client: Client;
  connection: Connection;
  nativeConnection: NativeConnection;
  close(): Promise<void>;
}

/** Connects to the run's real dev server (started by test/global-setup.ts). */
export async function connectTemporal(): Promise<TestTemporal> {
  quietRuntime();
  const address = inject('temporalAddress');
  const connection = await Connection.connect({ address });
  const nativeConnection = await NativeConnection.connect({ address });
  const client = new Client({ connection, namespace: 'default' });
  return {
    address,
    client,
    connection,
    nativeConnection,
    async close() {
      await connection.close();
      await nativeConnection.close();
    },
  };
}

const bundles = new Map<string, Promise<WorkflowBundleWithSourceMap>>();
/**
 * Bundles workflow code once per (path, failure converter) per test process: bundling is the slow part of
 * a worker start. An encrypting worker needs the failure converter compiled into its bundle.
 */
export function workflowBundle(
  workflowsPath: string,
  failureConverterPath?: string,
): Promise<WorkflowBundleWithSourceMap> {
  const key = `${workflowsPath}|${failureConverterPath ?? ''}`;
  let b = bundles.get(key);
  if (!b) {
    b = bundleWorkflowCode({ workflowsPath, failureConverterPath, logger: new DefaultLogger('WARN') });
    bundles.set(key, b);
  }
  return b;
}

/** A fresh task queue per test keeps tests from stealing each other's tasks. */
export function uniqueTaskQueue(prefix = 'test'): string {
  return `${prefix}-${randomUUID()}`;
}

/** Runs `fn` while a real worker polls; shuts the worker down afterwards whatever happens. */
export async function withWorker<T>(
  t: TestTemporal,
  options: Omit<WorkerOptions, 'connection'> & { workflowsPath?: string },
  fn: (worker: Worker) => Promise<T>,
): Promise<T> {
  const { workflowsPath, ...rest } = options;
  const worker = await Worker.create({
    connection: t.nativeConnection,
    namespace: 'default',
    ...(workflowsPath ? { workflowBundle: await workflowBundle(workflowsPath) } : {}),
    ...rest,
  });
  return worker.runUntil(fn(worker));
}
