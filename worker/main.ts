import { join } from 'node:path';
import { HandlerConfigError } from '../handlers/load';
import { loadConfigOrExit } from './config';
import { createLogger } from '../common/logging';
import { installRuntime } from './logging';
import { startWorkerApp } from './app';
import { StockSourceConfigError } from './workers';
import { chooseWorkflowCode } from './workflow-code';

// Production entry point (Kubernetes, docker-compose, `npm run worker`). Uses the pre-built workflow
// bundle when present (`npm run build`), so a pod never bundles at start; falls back to bundling the
// sources in development. SIGTERM/SIGINT: stop polling, let in-flight tasks finish, exit 0.

async function main(): Promise<void> {
  const config = loadConfigOrExit(process.env);
  const logger = createLogger(config.logLevel);
  installRuntime(logger, {
    level: config.logLevel === 'debug' || config.logLevel === 'trace' ? 'DEBUG' : 'INFO',
    metricsBindAddress: config.http.metricsPort
      ? `${config.http.host}:${config.http.metricsPort}`
      : undefined,
  });
  // Compiled: dist/worker/main.js → dist/. From source: worker/ → dist/.
  const workflows = chooseWorkflowCode(config, [join(__dirname, '..'), join(__dirname, '../dist')], () =>
    require.resolve('../workflows'),
  );
  logger.info({ workflows: workflows.source }, 'workflow code');
  const app = await startWorkerApp(config, { logger, workflows: workflows.code });
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.info({ signal }, 'signal received');
      void app.shutdown();
    });
  }
  await app.done;
  logger.info('worker stopped');
}

main().catch((err) => {
  // A handler spec the worker cannot load is a configuration error like any other: exit 2, before any work
  // (the handler is loaded before the store, the connection and the workflow bundle).
  if (err instanceof HandlerConfigError) {
    console.error(`invalid configuration:\n  - FR_HANDLER: ${err.message}`);
    console.error('See README.md "Configuration" and docs/handlers.md.');
    process.exit(2);
  }
  if (err instanceof StockSourceConfigError) {
    console.error(`invalid configuration:\n  - ${err.message}`);
    console.error('See README.md "Configuration" and docs/operations.md "Inventory sync".');
    process.exit(2);
  }
  console.error(`worker failed: ${(err as Error)?.message ?? err}`);
  process.exit(1);
});
