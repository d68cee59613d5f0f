import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  type Client,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
} from '@temporalio/client';
import { z } from 'zod';
import type { ShipmentRecord } from '../common/domain';
import { frWorkflowId } from '../common/ids';
import { addShipmentUpdate } from '../workflows/definitions';

// Shipment intake: the warehouse (WMS, 3PL, a script) POSTs a shipment; it is delivered to the FR's
// workflow with the `addShipment` update, whose validator decides, so the caller learns at once whether
// the shipment was taken. The answer is the workflow's: accepted, duplicate (a repeat is harmless),
// or why not. Client mistakes are 4xx, never 500; 503/504 mean "try again" (a repeat is idempotent).

export const MAX_BODY_BYTES = 64 * 1024;
const UPDATE_TIMEOUT_MS = 30_000;

const text = (what: string, max = 200) =>
  z
    .string({ error: `${what} must be a string` })
    .trim()
    .min(1, `${what} must not be empty`)
    .max(max, `${what}: at most ${max} characters`);
const positiveInt = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .int(`${what} must be an integer`)
    .positive(`${what} must be positive`);

export const ShipmentRequestSchema = z.strictObject({
  sourceId: positiveInt('sourceId'),
  fulfillmentRequestId: positiveInt('fulfillmentRequestId'),
  trackingNumber: text('trackingNumber', 100),
  carrier: text('carrier').optional(),
  method: text('method').optional(),
  shippedAt: z.iso.datetime({ offset: true, error: 'shippedAt must be an ISO 8601 date-time' }).optional(),
  trackingUrl: z.url({ protocol: /^https?$/, error: 'trackingUrl must be an http(s) URL' }).optional(),
  items: z
    .array(z.strictObject({ id: positiveInt('item id'), quantity: positiveInt('item quantity') }), {
      error: 'items must be an array of {id, quantity}',
    })
    .min(1, 'items: at least one item'),
});
export type ShipmentRequest = z.output<typeof ShipmentRequestSchema>;

export interface IntakeServerOptions {
  client: Client;
  port: number;
  host?: string;
  /** Bearer tokens accepted (one per caller, so one can be revoked alone). At least one. */
  authTokens: string[];
  /** When set, only shipments of these sources are taken (403 otherwise). */
  sourceIds?: number[];
  /** Called with every answered request (status, workflow id); the default is silent. */
  onRequest?: (entry: {
    method: string;
    path: string;
    status: number;
    workflowId?: string;
    error?: string;
  }) => void;
  /** Called with errors that are the server's fault (500). */
  onError?: (err: unknown) => void;
}

export interface RunningIntakeServer {
  url: string;
  port: number;
  close(): Promise<void>;
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly extra: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const digest = (s: string) => createHash('sha256').update(s).digest();

function authorize(req: IncomingMessage, tokens: Buffer[]): void {
  const header = req.headers.authorization;
  const m = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  if (!m) throw new HttpError(401, 'missing credentials: send Authorization: Bearer <token>');
  const given = digest(m[1]!.trim());
  // Compare digests in constant time against every token, so timing reveals neither token nor match.
  let ok = false;
  for (const t of tokens) ok = timingSafeEqual(given, t) || ok;
  if (!ok) throw new HttpError(401, 'invalid token');
}

async function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (declared > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new HttpError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function parseShipment(body: string): ShipmentRequest {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new HttpError(400, 'body is not JSON');
  }
  const parsed = ShipmentRequestSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
    throw new HttpError(
      400,
      `invalid shipment: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`,
      {
        issues,
      },
    );
  }
  return parsed.data;
}

export async function startIntakeServer(opts: IntakeServerOptions): Promise<RunningIntakeServer> {
  if (opts.authTokens.length === 0 || opts.authTokens.some((t) => !t.trim())) {
    throw new Error('startIntakeServer: authTokens must hold at least one non-empty token');
  }
  const tokens = opts.authTokens.map((t) => digest(t.trim()));
  const allowedSources = opts.sourceIds ? new Set(opts.sourceIds) : undefined;
  const { client } = opts;

  async function deliver(shipment: ShipmentRequest) {
    const workflowId = frWorkflowId(shipment.sourceId, shipment.fulfillmentRequestId);
    const record: ShipmentRecord = {
      trackingNumber: shipment.trackingNumber,
      items: shipment.items,
      ...(shipment.carrier ? { carrier: shipment.carrier } : {}),
      ...(shipment.method ? { method: shipment.method } : {}),
      ...(shipment.shippedAt ? { shippedAt: shipment.shippedAt } : {}),
      ...(shipment.trackingUrl ? { trackingUrl: shipment.trackingUrl } : {}),
    };
    const handle = client.workflow.getHandle(workflowId);
    try {
      const result = await client.connection.withDeadline(Date.now() + UPDATE_TIMEOUT_MS, () =>
        handle.executeUpdate(addShipmentUpdate, { args: [record] }),
      );
      return { status: result.status, workflowId, trackingNumber: result.trackingNumber };
    } catch (err) {
      if (err instanceof WorkflowUpdateFailedError) {
        // The workflow's validator said no; nothing changed. Its message says why.
        throw new HttpError(400, err.cause?.message ?? err.message, { workflowId });
      }
      if (err instanceof WorkflowNotFoundError) {
        // NOT_FOUND covers both "no such workflow" and "already completed": ask which.
        const state = await handle.describe().then(
          (d) => d.status.name,
          (e: unknown) => {
            if (e instanceof WorkflowNotFoundError) return undefined;
            throw e;
          },
        );
        if (state === undefined) {
          throw new HttpError(
            404,
            `no workflow for FR ${shipment.fulfillmentRequestId} of source ${shipment.sourceId} (${workflowId}): ` +
              'check the ids; an FR is known once the poller has picked it up',
            { workflowId },
          );
        }
        throw new HttpError(
          409,
          `FR workflow ${workflowId} is already closed (${state}); no more shipments`,
          {
            workflowId,
          },
        );
      }
      if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isDeadline(err)) {
        throw new HttpError(504, `${workflowId} did not answer in time; retry (a repeat is idempotent)`, {
          workflowId,
        });
      }
      throw err;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      if (req.method !== 'GET' && req.method !== 'HEAD')
        throw new HttpError(405, 'use GET', { allow: 'GET' });
      return send(res, 200, { status: 'ok' });
    }
    if (path !== '/shipments') throw new HttpError(404, 'not found: POST /shipments or GET /healthz');
    if (req.method !== 'POST') throw new HttpError(405, 'use POST', { allow: 'POST' });
    authorize(req, tokens);
    const shipment = parseShipment(await readBody(req));
    if (allowedSources && !allowedSources.has(shipment.sourceId)) {
      throw new HttpError(403, `source ${shipment.sourceId} is not served by this intake`);
    }
    const result = await deliver(shipment);
    send(res, 202, result);
    return result.workflowId;
  }

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    handle(req, res).then(
      (workflowId) =>
        opts.onRequest?.({ method, path, status: res.statusCode, workflowId: workflowId ?? undefined }),
      (err: unknown) => {
        if (err instanceof HttpError) {
          const { allow, ...extra } = err.extra;
          if (typeof allow === 'string') res.setHeader('allow', allow);
          if (err.status === 401) res.setHeader('www-authenticate', 'Bearer');
          send(res, err.status, { error: err.message, ...extra });
          if (err.status === 413) req.resume(); // drain, so the client reads the answer
        } else if (isUnavailable(err)) {
          send(res, 503, { error: 'Temporal is unavailable; retry (a repeat is idempotent)' });
        } else {
          opts.onError?.(err);
          send(res, 500, { error: 'internal error' });
        }
        opts.onRequest?.({
          method,
          path,
          status: res.statusCode,
          error: err instanceof Error ? err.message : String(err),
        });
      },
    );
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 15_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : opts.port;
  const host = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeIdleConnections();
      }),
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

const grpcCode = (err: unknown): number | undefined => {
  const e = err as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === 'number' ? e.code : e?.cause?.code;
  return typeof code === 'number' ? code : undefined;
};
/** gRPC DEADLINE_EXCEEDED (4). */
const isDeadline = (err: unknown) => grpcCode(err) === 4;
/** gRPC UNAVAILABLE (14). */
const isUnavailable = (err: unknown) => grpcCode(err) === 14;
