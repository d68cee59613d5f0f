import { Agent, type Dispatcher, request } from 'undici';
import { FlxpointError, type FlxpointErrorKind } from './errors';

// One HTTP exchange, nothing more: no retries (Temporal retries whole activities), no parsing. Turns transport
// failures into FlxpointError so callers see one taxonomy.

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const CONNECT_TIMEOUT_MS = 10_000;

/** Keep-alive agent: a poller talks to one host every few seconds, so reusing the socket saves a handshake. */
export function createDefaultAgent(timeoutMs: number): Agent {
  return new Agent({
    keepAliveTimeout: 30_000,
    connect: { timeout: Math.min(CONNECT_TIMEOUT_MS, timeoutMs) },
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
  });
}

export interface OutgoingRequest {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE';
  /** Path without query, e.g. `/fulfillment-requests/12/acknowledge`; used verbatim in errors. */
  path: string;
  query?: Record<string, string | readonly string[]>;
  json?: unknown;
}

export interface IncomingResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export interface TransportConfig {
  baseUrl: string;
  dispatcher: Dispatcher;
  /** Sent on every request; lives only here so nothing else can print it. */
  headers: Readonly<Record<string, string>>;
  timeoutMs: number;
}

export async function exchange(cfg: TransportConfig, req: OutgoingRequest): Promise<IncomingResponse> {
  const qs = req.query && Object.keys(req.query).length > 0 ? `?${queryString(req.query)}` : '';
  const url = `${cfg.baseUrl}${req.path}${qs}`;
  const headers: Record<string, string> = { ...cfg.headers, accept: 'application/json' };
  let body: string | undefined;
  if (req.json !== undefined) {
    body = JSON.stringify(req.json);
    headers['content-type'] = 'application/json';
  }
  try {
    const res = await request(url, {
      method: req.method,
      headers,
      body,
      dispatcher: cfg.dispatcher,
      headersTimeout: cfg.timeoutMs,
      bodyTimeout: cfg.timeoutMs,
    });
    // Always drain the body, even for errors, so the keep-alive socket can be reused.
    const text = await res.body.text();
    return { status: res.statusCode, headers: res.headers, text };
  } catch (err) {
    throw new FlxpointError({
      kind: transportKind(err),
      method: req.method,
      path: req.path,
      detail: describeTransportError(err),
      cause: err,
    });
  }
}

const TIMEOUT_CODES = new Set([
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'ETIMEDOUT',
]);

function errorCode(err: unknown): string | undefined {
  if (err && typeof err === 'object' && 'code' in err && typeof err.code === 'string') return err.code;
  return undefined;
}

function transportKind(err: unknown): FlxpointErrorKind {
  const code = errorCode(err);
  return code !== undefined && TIMEOUT_CODES.has(code) ? 'timeout' : 'network';
}

function describeTransportError(err: unknown): string {
  const code = errorCode(err);
  const msg = err instanceof Error ? err.message : String(err);
  // undici messages name the socket and the code, never headers: safe to surface.
  return code ? `${code} ${msg}` : msg;
}

/** Reads a single header value regardless of how undici grouped it. */
export function headerValue(headers: IncomingResponse['headers'], name: string): string | undefined {
  const v = headers[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/** A list value is sent as the parameter repeated (`skus=a&skus=b`), in order. */
function queryString(query: Readonly<Record<string, string | readonly string[]>>): string {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (typeof v === 'string') params.append(k, v);
    else for (const one of v) params.append(k, one);
  }
  return params.toString();
}
