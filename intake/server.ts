import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { intakeApp, type IntakeAppOptions } from './app';

// Startup of the shipment intake: the fastify instance (logger, timeouts, graceful close) and listening.
// What it answers is composed in intake/app.ts (POST /shipments, and GET /healthz for the Kubernetes
// probes in deploy/k8s/intake.yaml); the process around it (config, signals, exit codes) is intake/main.ts.

export interface IntakeServerOptions extends IntakeAppOptions {
  port: number;
  host?: string;
  /** pino logger for one line per request and server errors; silent when absent. */
  logger?: FastifyBaseLogger;
}

export interface RunningIntakeServer {
  url: string;
  port: number;
  /** Stops accepting, lets requests in flight finish (idle keep-alive connections are closed). */
  close(): Promise<void>;
}

/** The intake app on a fresh fastify instance, not listening: `inject()` it in tests. */
export async function buildIntakeServer(
  opts: IntakeAppOptions & { logger?: FastifyBaseLogger },
): Promise<FastifyInstance> {
  const app = Fastify({
    ...(opts.logger ? { loggerInstance: opts.logger } : { logger: false }),
    // The app logs one line per request itself, with the FR workflow it was about.
    logController: new LogController({ disableRequestLogging: true }),
    // A request (body included) must be complete within a minute; an update waits at most 30 s.
    requestTimeout: 60_000,
    // Closing ends idle keep-alive connections at once and lets requests in flight finish.
    forceCloseConnections: 'idle',
  });
  app.server.headersTimeout = 15_000;
  await app.register(intakeApp, opts);
  return app;
}

export async function startIntakeServer(opts: IntakeServerOptions): Promise<RunningIntakeServer> {
  const app = await buildIntakeServer(opts);
  await app.listen({ port: opts.port, host: opts.host ?? '127.0.0.1' });
  const { port } = app.server.address() as AddressInfo;
  const host = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () => app.close(),
  };
}
