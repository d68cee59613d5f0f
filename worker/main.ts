import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { loadConfigOrExit } from './config';
import { createLogger, installRuntime } from './logging';
import { startWorkerApp } from './app';

// Production entry point (Kubernetes, docker-compose, `npm run worker`). Uses the pre-built workflow
// bundle when present (`npm run build`), so a pod never bundles at start; falls back to bundling the
// sources in development. SIGTERM/SIGINT: stop polling, let in-flight tasks finish, exit 0.

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel);
  installRuntime(logger, {
    level: config.logLevel === 'debug' || config.logLevel === 'trace' ? 'DEBUG' : 'INFO',
    metricsBindAddress: config.http.metricsPort
      ? `${config.http.host}:${config.http.metricsPort}`
      : undefined,
  });
  // Compiled: dist/worker/main.js → dist/<bundle>. From source: worker/ → dist/<bundle>. The failure
  // converter is compiled into the bundle, so an encrypting worker needs the encrypted variant.
  const bundleFile = config.encryption.keys ? 'workflow-bundle.encrypted.js' : 'workflow-bundle.js';
  const bundlePath = [
    process.env.WORKFLOW_BUNDLE_PATH,
    join(__dirname, '..', bundleFile),
    join(__dirname, '../dist', bundleFile),
  ].find((p): p is string => !!p && existsSync(p));
  const workflows = bundlePath
    ? { workflowBundle: { codePath: bundlePath } }
    : { workflowsPath: require.resolve('../workflows') };
  logger.info({ workflows: bundlePath ?? 'bundling from source' }, 'workflow code');
  const app = await startWorkerApp(config, { logger, workflows });
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
  console.error(`worker failed: ${(err as Error)?.message ?? err}`);
  process.exit(1);
});
