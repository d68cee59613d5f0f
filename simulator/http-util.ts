import { type IncomingMessage, type ServerResponse } from 'node:http';
import { SimHttpError } from './sim-error';

// Small node:http helpers shared by the Flxpoint surface and the admin API.

const MAX_BODY_BYTES = 1024 * 1024;

export async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) throw new SimHttpError(413, 'Request body too large');
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON body; empty means undefined. Bad JSON is a 400, as a real API would answer. */
export async function readJson(req: IncomingMessage): Promise<unknown> {
  const text = await readBody(req);
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new SimHttpError(400, 'Malformed JSON request body');
  }
}

export function send(
  res: ServerResponse,
  status: number,
  body: string | undefined,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const h: Record<string, string | number> = { ...headers };
  if (body !== undefined && status !== 204) {
    h['content-length'] = Buffer.byteLength(body);
    h['content-type'] ??= 'application/json; charset=utf-8';
  }
  res.writeHead(status, h);
  res.end(status === 204 ? undefined : body);
}

export function sendJson(
  res: ServerResponse,
  status: number,
  value: unknown,
  headers: Record<string, string> = {},
): void {
  send(res, status, JSON.stringify(value), headers);
}

export function sendText(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  send(res, status, text, { 'content-type': 'text/plain; charset=utf-8', ...headers });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Integer query parameter with bounds; absent gives the default. */
export function intParam(value: string | null, name: string, dflt: number, min: number, max: number): number {
  if (value === null || value === '') return dflt;
  if (!/^-?\d+$/.test(value))
    throw new SimHttpError(400, `${name} must be an integer, got ${JSON.stringify(value)}`);
  const n = Number(value);
  if (n < min || n > max) throw new SimHttpError(400, `${name} must be between ${min} and ${max}, got ${n}`);
  return n;
}
