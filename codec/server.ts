import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import { codecApp, codecRewriteUrl, type CodecAppOptions } from './app';

// Startup of the codec server: the fastify instance (timeouts, graceful close) and listening. What it
// answers is composed in codec/app.ts; the process around it (config, signals) is codec/main.ts.

export { DEFAULT_MAX_BODY_BYTES } from './app';

export interface CodecServerOptions extends CodecAppOptions {
  port: number;
  host: string;
}

export interface CodecServer {
  /** Base URL, e.g. http://127.0.0.1:8888; give it to the Web UI / `--codec-endpoint`. */
  url: string;
  /** Stops accepting, lets requests in flight finish (idle keep-alive connections are closed). */
  close(): Promise<void>;
}

/** The codec app on a fresh fastify instance, not listening: `inject()` it in tests. */
export async function buildCodecServer(options: CodecAppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // Refusals and failures reach the process through onRejected/onError; fastify itself stays quiet.
    logger: false,
    // `/<namespace or proxy path>/decode` is `/decode`.
    rewriteUrl: (req) => codecRewriteUrl(req.url ?? '/'),
    requestTimeout: 30_000,
    forceCloseConnections: 'idle',
  });
  app.server.headersTimeout = 10_000;
  await app.register(codecApp, options);
  return app;
}

export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const app = await buildCodecServer(options);
  await app.listen({ port: options.port, host: options.host });
  const address = app.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return { url: `http://${host}:${address.port}`, close: () => app.close() };
}
