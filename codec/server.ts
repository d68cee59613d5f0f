import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { z } from 'zod';
import { EncryptionCodec } from './encryption-codec';
import type { KeyRing } from './keyring';

/** Temporal payloads are capped at 2 MiB each by default; a decode request can carry a whole event's worth. */
export const DEFAULT_MAX_BODY_BYTES = 8 * 1024 * 1024;

const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization';

export interface CodecServerOptions {
  port: number;
  host: string;
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

export interface CodecServer {
  /** Base URL, e.g. http://127.0.0.1:8888; give it to the Web UI / `--codec-endpoint`. */
  url: string;
  close(): Promise<void>;
}

// The Web UI and CLI send payloads in proto3 JSON: metadata values and data are base64 strings.
const base64 = z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');
const jsonPayload = z.object({
  metadata: z.record(z.string(), base64).nullish(),
  data: base64.nullish(),
});
const requestBody = z.object({ payloads: z.array(jsonPayload) });
type JsonPayload = z.infer<typeof jsonPayload>;

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
  }
}

/**
 * A codec server for the Temporal Web UI and CLI: `POST /encode` and `POST /decode` with `{"payloads": [...]}`.
 * Also answers on `/<anything>/encode|decode` (the Go SDK's handler accepts a namespace prefix the same way).
 */
export async function startCodecServer(options: CodecServerOptions): Promise<CodecServer> {
  const codec = new EncryptionCodec(options.keyRing);
  const allowedOrigins = new Set(options.allowedOrigins.map(normalizeOrigin));
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const expectedToken = options.authToken ? digest(options.authToken) : undefined;

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://codec').pathname;
    handle(req, res, path).catch((err: unknown) => {
      if (err instanceof HttpError) {
        options.onRejected?.({ status: err.status, message: err.message, method: req.method ?? '', path });
        return sendError(res, err.status, err.message, err.headers);
      }
      options.onError?.(err, { method: req.method ?? '', path });
      sendError(res, 500, 'Internal codec server error');
    });
  });
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;

  async function handle(req: IncomingMessage, res: ServerResponse, path: string): Promise<void> {
    const origin = req.headers.origin;
    if (origin !== undefined) {
      if (!allowedOrigins.has(normalizeOrigin(origin))) {
        throw new HttpError(403, `Origin ${origin} is not allowed (CODEC_ALLOWED_ORIGINS)`);
      }
      res.setHeader('Access-Control-Allow-Origin', origin);
      res.setHeader('Access-Control-Allow-Credentials', 'true');
      res.setHeader('Vary', 'Origin');
    }
    if (req.method === 'OPTIONS') {
      // Preflight: browsers never send credentials here, so it is answered before authentication.
      res.writeHead(204, {
        'Access-Control-Allow-Methods': 'POST, OPTIONS',
        'Access-Control-Allow-Headers': ALLOWED_HEADERS,
        'Access-Control-Max-Age': '600',
      });
      res.end();
      return;
    }
    const operation = path.endsWith('/encode') ? 'encode' : path.endsWith('/decode') ? 'decode' : undefined;
    if (!operation) throw new HttpError(404, 'Not found: use POST /encode or POST /decode');
    if (req.method !== 'POST')
      throw new HttpError(405, 'Method not allowed: use POST', { Allow: 'POST, OPTIONS' });
    if (expectedToken) authenticate(req.headers.authorization, expectedToken);

    const body = parseBody(await readBody(req, maxBodyBytes));
    const input = body.payloads.map(fromJson);
    let output: Payload[];
    try {
      output = await runCodec(codec, operation, input);
    } catch (err) {
      // Codec errors describe the data (unknown key id, tampered payload) and never contain key material.
      throw new HttpError(
        400,
        `Cannot ${operation} payloads: ${err instanceof Error ? err.message : String(err)}`,
      );
    }
    const json = JSON.stringify({ payloads: output.map(toJson) });
    res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(json) });
    res.end(json);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${host}:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}

function runCodec(
  codec: PayloadCodec,
  operation: 'encode' | 'decode',
  payloads: Payload[],
): Promise<Payload[]> {
  return operation === 'encode' ? codec.encode(payloads) : codec.decode(payloads);
}

function authenticate(header: string | undefined, expected: Buffer): void {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
  // Compare digests so the comparison takes the same time whatever the length of the guess.
  if (!match?.[1] || !timingSafeEqual(digest(match[1]), expected)) {
    throw new HttpError(401, 'Unauthorized: send "Authorization: Bearer <CODEC_AUTH_TOKEN>"', {
      'WWW-Authenticate': 'Bearer realm="codec"',
    });
  }
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

async function readBody(req: IncomingMessage, limit: number): Promise<string> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) throw tooLarge(limit);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function tooLarge(limit: number): HttpError {
  return new HttpError(413, `Request body larger than ${limit} bytes`, { Connection: 'close' });
}

function parseBody(text: string): z.infer<typeof requestBody> {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new HttpError(
      400,
      `Request body is not valid JSON: ${err instanceof Error ? err.message : String(err)}`,
    );
  }
  const parsed = requestBody.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');
    throw new HttpError(
      400,
      `Request body must be {"payloads": [{"metadata": {...}, "data": "<base64>"}]}: ${issues}`,
    );
  }
  return parsed.data;
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

function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  headers: Record<string, string> = {},
) {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' });
  res.end(message);
}

function normalizeOrigin(origin: string): string {
  return origin.trim().replace(/\/+$/, '').toLowerCase();
}
