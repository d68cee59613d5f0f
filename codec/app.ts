import { createHash, timingSafeEqual } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { z } from 'zod';
import { EncryptionCodec } from './encryption-codec';
import type { KeyRing } from './keyring';

// The codec server's HTTP surface, without listening (codec/server.ts does that): the protocol the
// Temporal Web UI, CLI and other SDKs' codec servers speak. `POST /encode` and `POST /decode` with
// `{"payloads": [...]}` (proto3 JSON: metadata values and data are base64), answered in the same shape.
// `{}` is an empty list: the CLI sends it for a signal or query without arguments. A prefix such as a
// namespace (`/default/decode`, or a proxy's path) is accepted: codec/server.ts rewrites
// `/<anything>/decode` to `/decode` before routing, as the Go SDK's handler matches on the suffix.
// Refusals, in this order: origin 403, unknown path 404, wrong method 405, token 401, size 413, body 400.
// Errors are text/plain messages; they name key ids, never key material or payload contents.

/** Temporal payloads are capped at 2 MiB each by default; a decode request can carry a whole event's worth. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

export interface CodecAppOptions {
  keyRing: KeyRing;
  /** Browser origins allowed to call the server (the Web UI's origin). Requests without an Origin are CLI/curl. */
  allowedOrigins: string[];
  /** When set, every encode/decode request must send `Authorization: Bearer <token>`. */
  authToken?: string;
  maxBodyBytes?: number;
  /** Told about requests that fail on the server side; never given payload contents. */
  onError?: (err: unknown, request: { method: string; path: string }) => void;
  /**
   * Told about refused requests (401, 400 on an undecryptable payload, ...). Worth logging: the Temporal CLI
   * retries on codec errors and only reports "context deadline exceeded". Messages hold no key material.
   */
  onRejected?: (rejection: { status: number; message: string; method: string; path: string }) => void;
}

const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization';
const OPERATIONS = ['encode', 'decode'] as const;
type Operation = (typeof OPERATIONS)[number];

const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const jsonPayload = z.object({
  metadata: z.record(z.string(), base64).nullish(),
  data: base64.nullish(),
});
type JsonPayload = z.infer<typeof jsonPayload>;
/** `{}` and `{"payloads": null}` are what proto3 JSON makes of an empty list. */
export const CodecRequestSchema = z.strictObject(
  { payloads: z.array(jsonPayload, { error: 'must be an array' }).nullish() },
  { error: 'must be a JSON object' },
);
type CodecRequest = z.output<typeof CodecRequestSchema>;

/** A refused request: status, a message for the caller, extra headers. */
export class CodecHttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

const notFound = () => new CodecHttpError(404, 'Not found: use POST /encode or POST /decode');

/** `/default/decode` → `/decode` (any prefix); other paths unchanged. Given to fastify as `rewriteUrl`. */
export function codecRewriteUrl(url: string): string {
  const path = url.split('?')[0]!;
  const m = /\/(encode|decode)$/.exec(path);
  return m ? `/${m[1]}` : url;
}

/** Registers the codec server's routes, CORS and authentication hooks and error answers on `app`. */
export async function codecApp(app: FastifyInstance, options: CodecAppOptions): Promise<void> {
  const codec = new EncryptionCodec(options.keyRing);
  const allowedOrigins = new Set(options.allowedOrigins.map(normalizeOrigin));
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const expectedToken = options.authToken ? digest(options.authToken) : undefined;

  // Every body is read as JSON whatever its Content-Type: the UI and CLI send application/json, and
  // scripts that forget the header are not worth refusing for a protocol that has one shape.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (err) {
      done(
        new CodecHttpError(
          400,
          `Request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
        ),
      );
    }
  });
  app.setValidatorCompiler<z.ZodType>(({ schema }) => (data) => {
    const parsed = schema.safeParse(data);
    if (parsed.success) return { value: parsed.data };
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    return {
      error: new CodecHttpError(
        400,
        `Request body must be {"payloads": [{"metadata": {...}, "data": "<base64>"}]}: ${issues}`,
      ),
    };
  });

  // CORS first, so that every answer to an allowed origin (a 401 too) is readable by the Web UI.
  app.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    const origin = request.headers.origin;
    if (origin === undefined) return; // not a browser: CLI, curl
    if (!allowedOrigins.has(normalizeOrigin(origin))) {
      throw new CodecHttpError(403, `Origin ${origin} is not allowed (CODEC_ALLOWED_ORIGINS)`);
    }
    reply.headers({
      'Access-Control-Allow-Origin': origin,
      'Access-Control-Allow-Credentials': 'true',
      Vary: 'Origin',
    });
  });
  // A request to nowhere is answered before its body is read or parsed.
  app.addHook('onRequest', async (request) => {
    if (request.is404) throw notFound();
  });

  // Preflight, on any path: browsers never send credentials here, so it is answered before authentication.
  app.options('/*', async (_request, reply) =>
    reply
      .code(204)
      .headers({
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
      })
      .send(),
  );

  for (const operation of OPERATIONS) {
    app.post<{ Body: CodecRequest }>(
      `/${operation}`,
      {
        bodyLimit: maxBodyBytes,
        schema: { body: CodecRequestSchema },
        // onRequest: before the body is read.
        ...(expectedToken
          ? { onRequest: async (request) => authenticate(request.headers.authorization, expectedToken) }
          : {}),
      },
      async (request, reply) => {
        const output = await run(codec, operation, (request.body.payloads ?? []).map(fromJson));
        // As bytes, so the Content-Type stays exactly `application/json` as the old server sent it.
        return reply
          .header('Content-Type', 'application/json')
          .send(Buffer.from(JSON.stringify({ payloads: output.map(toJson) })));
      },
    );
    app.route({
      // Every other method fastify routes; OPTIONS is the preflight route's.
      method: app.supportedMethods.filter((m) => m !== 'POST' && m !== 'OPTIONS') as HTTPMethods[],
      url: `/${operation}`,
      // onRequest: answered before any body is read or parsed.
      onRequest: async () => {
        throw new CodecHttpError(405, 'Method not allowed: use POST', { Allow: 'POST, OPTIONS' });
      },
      handler: async () => undefined,
    });
  }

  app.setNotFoundHandler(async () => {
    throw notFound();
  });

  app.setErrorHandler(async (err: FastifyError, request, reply) => {
    const where = { method: request.method, path: request.originalUrl.split('?')[0] ?? '/' };
    let refusal = toRefusal(err, maxBodyBytes);
    if (refusal) {
      options.onRejected?.({ status: refusal.status, message: refusal.message, ...where });
    } else {
      options.onError?.(err, where);
      refusal = new CodecHttpError(500, 'Internal codec server error');
    }
    return reply
      .code(refusal.status)
      .headers({ ...refusal.headers, 'Content-Type': 'text/plain; charset=utf-8' })
      .send(refusal.message);
  });
}

async function run(codec: EncryptionCodec, operation: Operation, payloads: Payload[]): Promise<Payload[]> {
  try {
    return operation === 'encode' ? await codec.encode(payloads) : await codec.decode(payloads);
  } catch (err) {
    // Codec errors describe the data (unknown key id, tampered payload) and never contain key material.
    throw new CodecHttpError(
      400,
      `Cannot ${operation} payloads: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
}

/** What the caller is told for `err`, or undefined when it is the server's fault (500). */
function toRefusal(err: FastifyError, maxBodyBytes: number): CodecHttpError | undefined {
  if (err instanceof CodecHttpError) return err;
  if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
    return new CodecHttpError(413, `Request body larger than ${maxBodyBytes} bytes`, { Connection: 'close' });
  }
  // Other client errors fastify detects (a malformed request, an aborted body) keep their status.
  if (typeof err.statusCode === 'number' && err.statusCode >= 400 && err.statusCode < 500) {
    return new CodecHttpError(err.statusCode, err.message);
  }
  return undefined;
}

function authenticate(header: string | undefined, expected: Buffer): void {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  // Compare digests so the comparison takes the same time whatever the length of the guess.
  if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
    throw new CodecHttpError(401, 'Unauthorized: send "Authorization: Bearer <CODEC_AUTH_TOKEN>"', {
      'WWW-Authenticate': 'Bearer realm="codec"',
    });
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function fromJson({ metadata, data }: JsonPayload): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64')]),
    ),
    data: Buffer.from(data ?? '', 'base64'),
  };
}

function toJson({ metadata, data }: Payload): JsonPayload {
  return {
    metadata: Object.fromEntries(
      Object.entries(metadata ?? {}).map(([k, v]) => [
        k,
        Buffer.from(v ?? new Uint8Array()).toString('base64'),
      ]),
    ),
    data: Buffer.from(data ?? new Uint8Array()).toString('base64'),
  };
}

function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}
