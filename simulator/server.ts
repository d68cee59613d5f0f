import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo } from 'node:net';
import { ADMIN_PREFIX, handleAdmin } from './admin-routes';
import { type FaultPlan } from './faults';
import { type ApiResult, endpointFor, handleApi, matchRoute } from './flxpoint-routes';
import { send, sendJson, sendText, sleep } from './http-util';
import { breakSchema, truncate } from './malform';
import { type SimulatorOptions } from './options';
import { SimHttpError } from './sim-error';
import { SimulatorState, tokenFingerprint } from './state';

// The HTTP server: one pipeline for every Flxpoint endpoint (route → auth → rate limit → method → faults →
// handler → response faults), and the admin API beside it under its own prefix.

export interface RunningSimulator {
  /** Base URL of the Flxpoint surface, e.g. http://127.0.0.1:41234 (what FlxpointClient takes as baseUrl). */
  url: string;
  /** Base URL of the admin API (`${url}/__admin`). */
  adminUrl: string;
  port: number;
  /** In-process control: the same operations as the admin API, typed. */
  state: SimulatorState;
  close(): Promise<void>;
}

export type { SimulatorOptions } from './options';

export async function startSimulator(opts: SimulatorOptions = {}): Promise<RunningSimulator> {
  const state = new SimulatorState(opts);
  const adminEnabled = opts.admin ?? true;
  const server = createServer((req, res) => {
    onRequest(state, adminEnabled, req, res).catch((err: unknown) => {
      // A bug in the simulator, not a simulated fault: say so loudly, answer 500.
      process.stderr.write(
        `simulator: unhandled error on ${req.method} ${pathOnly(req.url)}: ${String(err)}\n`,
      );
      sendText(res, 500, 'Internal simulator error');
    });
  });
  // Connections stay open between a poller's calls, as they would behind Flxpoint's load balancer.
  server.keepAliveTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  const url = `http://${host}:${addr.port}`;
  return {
    url,
    adminUrl: `${url}${ADMIN_PREFIX}`,
    port: addr.port,
    state,
    close: () =>
      new Promise<void>((resolve, reject) => {
        state.close();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function pathOnly(url: string | undefined): string {
  return (url ?? '/').split('?')[0]!;
}

async function onRequest(
  state: SimulatorState,
  adminEnabled: boolean,
  req: IncomingMessage,
  res: ServerResponse,
) {
  const url = new URL(req.url ?? '/', 'http://simulator');
  if (url.pathname === ADMIN_PREFIX || url.pathname.startsWith(`${ADMIN_PREFIX}/`)) {
    if (adminEnabled) await handleAdmin(state, req, res, url);
    else sendText(res, 404, 'Not Found');
    return;
  }
  res.on('finish', () => state.counters.response(res.statusCode));
  await handleFlxpoint(state, req, res, url);
}

async function handleFlxpoint(state: SimulatorState, req: IncomingMessage, res: ServerResponse, url: URL) {
  const method = req.method ?? 'GET';
  let route;
  try {
    route = matchRoute(url.pathname, state.behavior.acknowledgeMethods);
  } catch (err) {
    return sendError(res, err, state);
  }
  if (!route) {
    state.counters.request('unknown', undefined);
    return sendText(res, 404, worded(state, `No route ${method} ${url.pathname}`));
  }
  const endpoint = endpointFor(route, method);
  const token = headerToken(req);
  const sourceId = state.sourceOf(token);
  const tokenKey = sourceId !== undefined && token ? tokenFingerprint(token) : undefined;
  state.counters.request(endpoint, tokenKey ?? (token ? 'invalid' : 'missing'));
  if (sourceId === undefined || tokenKey === undefined) {
    return sendText(
      res,
      401,
      worded(
        state,
        token ? 'Unauthorized: unknown X-API-TOKEN' : 'Unauthorized: X-API-TOKEN header is required',
      ),
    );
  }
  const decision = state.rateLimiter.take(tokenKey);
  if (!decision.allowed) {
    state.counters.inc('rateLimitedByToken', tokenKey);
    return sendTooMany(state, res, decision.retryAfterMs);
  }
  if (!route.methods.includes(method)) {
    return sendText(res, 405, worded(state, `Method ${method} not allowed on ${url.pathname}`), {
      allow: route.methods.join(', '),
    });
  }
  const plan = state.faults.plan(endpoint);
  if (plan.delayMs > 0) {
    state.counters.inc('faultsInjected', 'slow');
    // Delay first, then handle: a client that gave up still changed state, like a slow real server.
    await sleep(plan.delayMs);
  }
  if (plan.before) {
    state.counters.inc('faultsInjected', plan.before.kind);
    if (plan.before.kind === 'drop') return void req.socket.destroy();
    if (plan.before.kind === 'rateLimit429') return sendTooMany(state, res, 1000);
    return sendText(res, plan.before.status, 'Service temporarily unavailable (injected fault)');
  }
  let result: ApiResult;
  try {
    result = await handleApi(state, endpoint, route, sourceId, req, url);
  } catch (err) {
    return sendError(res, err, state);
  }
  sendResult(state, plan, req, res, result);
}

function sendResult(
  state: SimulatorState,
  plan: FaultPlan,
  req: IncomingMessage,
  res: ServerResponse,
  result: ApiResult,
) {
  if (plan.after) state.counters.inc('faultsInjected', plan.after);
  if (plan.after === 'dropAfter') return void req.socket.destroy();
  if (plan.after === 'error5xxAfter') {
    return sendText(res, plan.afterStatus ?? 503, 'Gateway timeout talking to the backend (injected fault)');
  }
  if (result.json === undefined) return send(res, result.status, undefined);
  if (plan.after === 'schemaBreak') {
    return sendJson(
      res,
      result.status,
      breakSchema(result.json, (n) => state.faults.index(n)),
    );
  }
  const text = JSON.stringify(result.json);
  send(res, result.status, plan.after === 'truncate' ? truncate(text) : text);
}

function sendTooMany(state: SimulatorState, res: ServerResponse, retryAfterMs: number): void {
  const cfg = state.rateLimit;
  const headers: Record<string, string> = {};
  if (cfg.retryAfter === 'seconds')
    headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfterMs / 1000)));
  else if (cfg.retryAfter === 'http-date')
    headers['retry-after'] = new Date(Date.now() + retryAfterMs + 1000).toUTCString();
  sendText(
    res,
    429,
    worded(state, `Too Many Requests: more than ${cfg.ratePerSec} requests/second for this token`),
    headers,
  );
}

function sendError(res: ServerResponse, err: unknown, state?: SimulatorState): void {
  if (err instanceof SimHttpError) {
    return sendText(res, err.status, state ? worded(state, err.message) : err.message, err.headers);
  }
  throw err;
}

/**
 * The text of a 4xx: `canonical` words, or in `random` mode (errorWording) a phrase drawn per answer from
 * the run's seed. Flxpoint documents no error wording: the status stays, the words do not.
 */
function worded(state: SimulatorState, canonical: string): string {
  return state.behavior.errorWording === 'random' ? state.errorPhrase() : canonical;
}

function headerToken(req: IncomingMessage): string | undefined {
  const v = req.headers['x-api-token'];
  const s = Array.isArray(v) ? v[0] : v;
  return s && s !== '' ? s : undefined;
}
