import { createHash, timingSafeEqual } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import type { z } from 'zod';
import { frWorkflowId } from '../common/ids';
import { sendUrgentStock, UrgentStockRequestSchema, type UrgentStockRequest } from './urgent-stock';
import type { IntakeToken } from '../common/config';
import { deliverShipment, IntakeError, isUnavailable, RETRY_AFTER_SECONDS, retryLater } from './deliver';
import { FR_GATE_DEFAULTS, FrBusyError, FrGate, type FrGateOptions } from './fr-gate';
import { ShipmentRequestSchema, type ShipmentRequest } from './shipment-request';

// The intake's HTTP surface, without listening (intake/server.ts does that): POST /shipments (bearer
// token, JSON only, at most 64 KiB, validated by ShipmentRequestSchema, then delivered to the FR's
// workflow) and GET /healthz. Client mistakes are 4xx with {"error": "..."} saying what to do, never
// 500; 503 with Retry-After means "nothing was taken, send it again later" (a repeat is idempotent).
// Refusals happen in this order: unknown path 404, wrong method 405, credentials 401, content type 415,
// body size 413, body 400, source 403 (INTAKE_SOURCE_IDS, then the token's own sources), FR busy 503.

export const MAX_BODY_BYTES = 64 * 1024;

export interface IntakeAppOptions {
  client: Client;
  /**
   * Bearer tokens accepted (one per caller, so one can be revoked alone). At least one. A token with
   * `sourceIds` may post shipments of those sources only (403 otherwise).
   */
  authTokens: Array<string | IntakeToken>;
  /** When set, only shipments of these sources are taken (403 otherwise). */
  sourceIds?: number[];
  /** Per-FR concurrency (intake/fr-gate.ts); defaults FR_GATE_DEFAULTS. */
  frGate?: Partial<FrGateOptions>;
}

/** Registers the intake's routes, hooks and error answers on `app` (a fresh instance, or a plugin scope). */
export async function intakeApp(app: FastifyInstance, opts: IntakeAppOptions): Promise<void> {
  const given = opts.authTokens.map((t) => (typeof t === 'string' ? { token: t } : t));
  if (given.length === 0 || given.some((t) => !t.token.trim())) {
    throw new Error('intakeApp: authTokens must hold at least one non-empty token');
  }
  const tokens = given.map((t) => ({
    digest: digest(t.token.trim()),
    sources: t.sourceIds ? new Set(t.sourceIds) : undefined,
  }));
  const allowedSources = opts.sourceIds ? new Set(opts.sourceIds) : undefined;
  const gate = new FrGate({ ...FR_GATE_DEFAULTS, ...opts.frGate });
  // The token each request authenticated with (its index in `tokens`).
  const callers = new WeakMap<FastifyRequest, number>();
  // What a request was about and why it was refused, for its log line.
  const outcomes = new WeakMap<FastifyRequest, { workflowId?: string; error?: string }>();

  // Only JSON is parsed; anything else is 415 (fastify's answer to a type without a parser).
  app.removeContentTypeParser('text/plain');
  // Route schemas are zod schemas; a failure becomes the 400 that names every bad field.
  app.setValidatorCompiler<z.ZodType>(({ schema, url }) => (data) => {
    const parsed = schema.safeParse(data);
    if (parsed.success) return { value: parsed.data };
    return { error: url === '/inventory' ? invalidStock(parsed.error) : invalidShipment(parsed.error) };
  });

  // One line per answered request, with the FR workflow it was about; never headers (tokens).
  app.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    request.log.info(
      {
        method: request.method,
        path: request.url.split('?')[0],
        status: reply.statusCode,
        ...outcomes.get(request),
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  app.get('/healthz', async () => ({ status: 'ok' }));
  methodNotAllowed(app, '/healthz', ['GET', 'HEAD']);

  app.post<{ Body: ShipmentRequest }>(
    '/shipments',
    {
      bodyLimit: MAX_BODY_BYTES,
      schema: { body: ShipmentRequestSchema },
      // onRequest: before the body is read, so an unauthenticated caller cannot make us read 64 KiB.
      onRequest: async (request) => {
        callers.set(request, authorize(request.headers.authorization, tokens));
      },
    },
    async (request, reply) => {
      const shipment = request.body;
      if (allowedSources && !allowedSources.has(shipment.sourceId)) {
        throw new IntakeError(403, `source ${shipment.sourceId} is not served by this intake`);
      }
      const own = tokens[callers.get(request)!]!.sources;
      if (own && !own.has(shipment.sourceId)) {
        throw new IntakeError(
          403,
          `this token may post shipments for source(s) ${[...own].join(', ')} only, not source ` +
            `${shipment.sourceId}; use the token issued for that source`,
        );
      }
      const workflowId = frWorkflowId(shipment.sourceId, shipment.fulfillmentRequestId);
      const result = await gate
        .run(workflowId, () => deliverShipment(opts.client, shipment))
        .catch((err: unknown) => {
          if (!(err instanceof FrBusyError)) throw err;
          throw retryLater(
            `FR ${shipment.fulfillmentRequestId} has too many shipments in flight at this intake; retry ` +
              '(a repeat is idempotent)',
            RETRY_AFTER_SECONDS.busy,
            { workflowId },
          );
        });
      outcomes.set(request, { workflowId: result.workflowId });
      return reply.code(202).send(result);
    },
  );
  methodNotAllowed(app, '/shipments', ['POST']);

  // Urgent stock changes (issue 11): signalled to the source's inventory-urgent workflow, in Flxpoint within
  // seconds. Same tokens, same source restrictions as shipments.
  app.post<{ Body: UrgentStockRequest }>(
    '/inventory',
    {
      bodyLimit: MAX_BODY_BYTES,
      schema: { body: UrgentStockRequestSchema },
      onRequest: async (request) => {
        callers.set(request, authorize(request.headers.authorization, tokens));
      },
    },
    async (request, reply) => {
      const body = request.body;
      if (allowedSources && !allowedSources.has(body.sourceId)) {
        throw new IntakeError(403, `source ${body.sourceId} is not served by this intake`);
      }
      const own = tokens[callers.get(request)!]!.sources;
      if (own && !own.has(body.sourceId)) {
        throw new IntakeError(
          403,
          `this token may post for source(s) ${[...own].join(', ')} only, not source ${body.sourceId}`,
        );
      }
      const result = await sendUrgentStock(opts.client, body);
      outcomes.set(request, { workflowId: result.workflowId });
      return reply.code(202).send(result);
    },
  );
  methodNotAllowed(app, '/inventory', ['POST']);

  const notFound = () => new IntakeError(404, 'not found: POST /shipments, POST /inventory or GET /healthz');
  // Thrown from onRequest, so the body of a request to nowhere is neither read nor parsed.
  app.setNotFoundHandler(async () => {
    throw notFound();
  });
  app.addHook('onRequest', async (request) => {
    if (request.is404) throw notFound();
  });

  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    const answer = toIntakeError(err);
    if (!answer) request.log.error({ err }, 'request failed');
    const { status, message, extra, headers } = answer ?? new IntakeError(500, 'internal error');
    const workflowId = typeof extra.workflowId === 'string' ? extra.workflowId : undefined;
    outcomes.set(request, { ...(workflowId ? { workflowId } : {}), error: err.message });
    return reply
      .code(status)
      .headers(headers)
      .send({ error: message, ...extra });
  });
}

/** What the caller is told for `err`, or undefined when it is the server's fault (500). */
function toIntakeError(err: FastifyError): IntakeError | undefined {
  if (err instanceof IntakeError) return err;
  switch (err.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new IntakeError(413, `body larger than ${MAX_BODY_BYTES} bytes`);
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new IntakeError(415, 'send the shipment as JSON with Content-Type: application/json');
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new IntakeError(400, 'body is not JSON');
  }
  if (isUnavailable(err)) {
    return retryLater(
      'Temporal is unavailable; retry (a repeat is idempotent)',
      RETRY_AFTER_SECONDS.unavailable,
    );
  }
  // Other client errors fastify detects (a malformed request, an aborted body) keep their status.
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new IntakeError(err.statusCode, err.message);
  }
  return undefined;
}

function invalidShipment(error: z.ZodError): IntakeError {
  const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  return new IntakeError(
    400,
    `invalid shipment: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}`,
    { issues },
  );
}

function invalidStock(error: z.ZodError): IntakeError {
  const issues = error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  return new IntakeError(
    400,
    `invalid stock change: ${issues.map((i) => `${i.path || '(body)'}: ${i.message}`).join('; ')}; ` +
      'send {"sourceId": 1001, "items": [{"sku": "A-1", "quantity": 0}]}',
    { issues },
  );
}

function methodNotAllowed(app: FastifyInstance, url: string, allowed: HTTPMethods[]): void {
  const allow = allowed.filter((m) => m !== 'HEAD').join(', ');
  app.route({
    // Every other method fastify routes (PUT, DELETE, OPTIONS, TRACE, QUERY, ...); WebDAV ones are 404.
    method: app.supportedMethods.filter((m) => !allowed.includes(m as HTTPMethods)) as HTTPMethods[],
    url,
    // onRequest: answered before any body is read or parsed.
    onRequest: async () => {
      throw new IntakeError(405, `use ${allow}`, {}, { allow });
    },
    handler: async () => undefined,
  });
}

const digest = (s: string) => createHash('sha256').update(s).digest();

/** The index of the token in `header` among `tokens`; a 401 IntakeError when there is none. */
function authorize(header: string | undefined, tokens: Array<{ digest: Buffer }>): number {
  const m = header ? /^Bearer\s+(.+)$/i.exec(header) : null;
  const challenge = { 'www-authenticate': 'Bearer' };
  if (!m) {
    throw new IntakeError(401, 'missing credentials: send Authorization: Bearer <token>', {}, challenge);
  }
  const given = digest(m[1]!.trim());
  // Compare digests in constant time against every token, so timing reveals neither token nor match.
  let match = -1;
  tokens.forEach((t, i) => {
    if (timingSafeEqual(given, t.digest)) match = i;
  });
  if (match < 0) throw new IntakeError(401, 'invalid token', {}, challenge);
  return match;
}
