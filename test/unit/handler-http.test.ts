import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { FulfillmentRequestSnapshot } from '../../common/domain';
import { createHttpHandler } from '../../handlers/http-handler';
import { HandlerRejectedError, type FrHandlerContext } from '../../handlers/types';

// A real HTTP peer on 127.0.0.1:0 plays the integrator's WMS; each test scripts its answer.

interface Seen {
  method?: string;
  url?: string;
  headers: IncomingHttpHeaders;
  body: unknown;
}

let server: Server;
let base: string;
let seen: Seen[] = [];
let answer: { status: number; body: string; delayMs?: number } = { status: 200, body: '{"kind":"accept"}' };

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null'),
      });
      const reply = () => {
        if (res.destroyed) return;
        res.writeHead(answer.status, { 'content-type': 'application/json' }).end(answer.body);
      };
      if (answer.delayMs) setTimeout(reply, answer.delayMs);
      else reply();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});
beforeEach(() => {
  seen = [];
  answer = { status: 200, body: '{"kind":"accept"}' };
});

const fr: FulfillmentRequestSnapshot = {
  id: 31,
  fulfillmentRequestNumber: 'FR-31',
  fulfillmentRequestItems: [
    { id: 311, sku: 'A', quantity: 3 },
    { id: 312, sku: 'B', quantity: 1 },
  ],
};
const ctx: FrHandlerContext = { sourceKey: 'main', sourceId: 1001, workflowId: 'fr:1001:31', attempt: 1 };
const secret = 'Bearer top-secret-token-123';
const handler = (path = '/decide', timeoutMs = 2000) =>
  createHttpHandler({
    url: `${base}${path}`,
    timeoutMs,
    headers: { Authorization: secret, 'X-Tenant': 'acme' },
  });

async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: Error) => e,
  );
}

describe('http handler', () => {
  it('POSTs the FR as JSON with the idempotency key and caller headers, and returns the decision', async () => {
    await expect(handler().decide(fr, ctx)).resolves.toEqual({ kind: 'accept' });
    expect(seen).toHaveLength(1);
    const req = seen[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/decide');
    expect(req.headers['idempotency-key']).toBe('fr:1001:31');
    expect(req.headers['content-type']).toBe('application/json');
    expect(req.headers['authorization']).toBe(secret);
    expect(req.headers['x-tenant']).toBe('acme');
    expect(req.body).toEqual({ sourceKey: 'main', sourceId: 1001, fulfillmentRequest: fr });
  });

  it('the idempotency key cannot be overridden by caller headers', async () => {
    const h = createHttpHandler({ url: base, timeoutMs: 2000, headers: { 'Idempotency-Key': 'other' } });
    await h.decide(fr, { ...ctx, attempt: 3 });
    expect(seen[0]!.headers['idempotency-key']).toBe('fr:1001:31');
  });

  it('returns a validated partial decision', async () => {
    answer.body = JSON.stringify({ kind: 'partial', items: [{ id: 311, acknowledgedQuantity: 2 }] });
    await expect(handler().decide(fr, ctx)).resolves.toEqual({
      kind: 'partial',
      items: [{ id: 311, acknowledgedQuantity: 2 }],
      killOrFillType: 'fill',
    });
  });

  it('an invalid decision is a HandlerRejectedError naming the field', async () => {
    answer.body = JSON.stringify({ kind: 'partial', items: [{ id: 311, acknowledgedQuantity: 4 }] });
    const err = await failure(handler().decide(fr, ctx));
    expect(err).toBeInstanceOf(HandlerRejectedError);
    expect(err.message).toMatch(/items\[0\]\.acknowledgedQuantity: 4 exceeds the open quantity 3/);
    expect(err.message).toContain(`${base}/decide`);

    answer.body = JSON.stringify({ kind: 'reject' });
    expect((await failure(handler().decide(fr, ctx))).message).toMatch(/reason: is required/);
  });

  it('a 2xx that is not JSON is a HandlerRejectedError', async () => {
    answer.body = '<html>maintenance</html>';
    const err = await failure(handler().decide(fr, ctx));
    expect(err).toBeInstanceOf(HandlerRejectedError);
    expect(err.message).toMatch(/not with JSON .*maintenance/);
  });

  it.each([400, 404, 422])('a %i is final: HandlerRejectedError with the response text', async (status) => {
    answer = { status, body: '{"error":"unknown warehouse"}' };
    const err = await failure(handler().decide(fr, ctx));
    expect(err).toBeInstanceOf(HandlerRejectedError);
    expect(err.message).toContain(`answered ${status}`);
    expect(err.message).toContain('unknown warehouse');
    expect(err.message).toContain('processing-failed');
  });

  it.each([500, 502, 503, 429, 409])('a %i is retryable: a plain Error', async (status) => {
    answer = { status, body: 'busy' };
    const err = await failure(handler().decide(fr, ctx));
    expect(err).not.toBeInstanceOf(HandlerRejectedError);
    expect(err.message).toMatch(new RegExp(`answered ${status}.*will retry`));
  });

  it('a timeout is retryable', async () => {
    answer.delayMs = 1000;
    const err = await failure(handler('/slow', 100).decide(fr, ctx));
    expect(err).not.toBeInstanceOf(HandlerRejectedError);
    expect(err.message).toMatch(/did not answer within 100 ms; will retry/);
  });

  it('a refused connection is retryable', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const h = createHttpHandler({
      url: `http://127.0.0.1:${port}/x`,
      timeoutMs: 2000,
      headers: { Authorization: secret },
    });
    const err = await failure(h.decide(fr, ctx));
    expect(err).not.toBeInstanceOf(HandlerRejectedError);
    expect(err.message).toMatch(/unreachable \(ECONNREFUSED/);
  });

  it('cancellation passes the caller’s reason through', async () => {
    answer.delayMs = 1000;
    const ac = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => ac.abort(reason), 50);
    await expect(handler().decide(fr, { ...ctx, signal: ac.signal })).rejects.toBe(reason);
  });

  it('never puts header values in messages or its name, even when the endpoint echoes them', async () => {
    answer = { status: 400, body: `you sent Authorization: ${secret}` };
    const h = createHttpHandler({
      url: `http://user:pw@127.0.0.1:${(server.address() as AddressInfo).port}/d?token=qq`,
      timeoutMs: 2000,
      headers: { Authorization: secret },
    });
    const err = await failure(h.decide(fr, ctx));
    expect(err.message).not.toContain('top-secret');
    expect(err.message).not.toContain('pw@');
    expect(err.message).not.toContain('token=qq');
    expect(h.name).toBe(`http:http://127.0.0.1:${(server.address() as AddressInfo).port}/d`);
  });

  it('refuses a bad configuration up front', () => {
    expect(() => createHttpHandler({ url: 'wms.local/decide', timeoutMs: 1000 })).toThrow(/absolute URL/);
    expect(() => createHttpHandler({ url: 'ftp://wms.local/', timeoutMs: 1000 })).toThrow(/http or https/);
    expect(() => createHttpHandler({ url: base, timeoutMs: 0 })).toThrow(/timeoutMs/);
  });
});
