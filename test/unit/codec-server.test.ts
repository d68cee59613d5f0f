import { defaultPayloadConverter, type Payload } from '@temporalio/common';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EncryptionCodec } from '../../codec/encryption-codec';
import { parseKeyRing } from '../../codec/keyring';
import type { FastifyInstance } from 'fastify';
import { buildCodecServer, startCodecServer, type CodecServer } from '../../codec/server';

const K1 = Buffer.alloc(32, 1).toString('base64');
const TOKEN = 'test-token-0123456789abcdef';
const UI = 'http://localhost:8233';
const PII = 'Jane Q. Customer, +1-555-0100';

type JsonPayload = { metadata: Record<string, string>; data: string };
const toJson = (p: Payload): JsonPayload => ({
  metadata: Object.fromEntries(
    Object.entries(p.metadata ?? {}).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
  ),
  data: Buffer.from(p.data ?? new Uint8Array()).toString('base64'),
});
const meta = (p: JsonPayload, key: string) => Buffer.from(p.metadata[key] ?? '', 'base64').toString('utf8');

describe('codec server over HTTP', () => {
  const keyRing = parseKeyRing(`k1:${K1}`);
  let open: CodecServer;
  let guarded: CodecServer;
  const rejections: Array<{ status: number; path: string }> = [];
  beforeAll(async () => {
    open = await startCodecServer({
      port: 0,
      host: '127.0.0.1',
      keyRing,
      allowedOrigins: [UI],
      maxBodyBytes: 4096,
    });
    guarded = await startCodecServer({
      port: 0,
      host: '127.0.0.1',
      keyRing,
      allowedOrigins: [UI],
      authToken: TOKEN,
      onRejected: (r) => rejections.push(r),
    });
  });
  afterAll(async () => {
    await open?.close();
    await guarded?.close();
  });

  const post = (server: CodecServer, path: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });

  it('encodes and decodes the Web UI JSON protocol', async () => {
    const plain = toJson(defaultPayloadConverter.toPayload({ name: PII }));
    const encodedRes = await post(open, '/encode', { payloads: [plain] });
    expect(encodedRes.status).toBe(200);
    expect(encodedRes.headers.get('content-type')).toBe('application/json');
    const encoded = (await encodedRes.json()) as { payloads: JsonPayload[] };
    expect(meta(encoded.payloads[0]!, 'encoding')).toBe('binary/encrypted');
    expect(meta(encoded.payloads[0]!, 'encryption-key-id')).toBe('k1');
    expect(Buffer.from(encoded.payloads[0]!.data, 'base64').includes(PII)).toBe(false);

    const decodedRes = await post(open, '/decode', encoded, { 'X-Namespace': 'default' });
    expect(decodedRes.status).toBe(200);
    expect(await decodedRes.json()).toEqual({ payloads: [plain] });
  });

  it('decodes what the worker-side codec encrypted, and accepts a namespace path prefix', async () => {
    const [encrypted] = await new EncryptionCodec(keyRing).encode([defaultPayloadConverter.toPayload(PII)]);
    const res = await post(open, '/default/decode', { payloads: [toJson(encrypted!)] });
    const body = (await res.json()) as { payloads: JsonPayload[] };
    expect(Buffer.from(body.payloads[0]!.data, 'base64').toString()).toBe(JSON.stringify(PII));
  });

  it('answers CORS preflight for allowed origins with the headers the Web UI sends', async () => {
    const res = await fetch(`${guarded.url}/decode`, {
      method: 'OPTIONS',
      headers: {
        Origin: UI,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type,x-namespace,authorization',
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    expect(res.headers.get('access-control-allow-credentials')).toBe('true');
    expect(res.headers.get('access-control-allow-methods')).toContain('POST');
    const allowed = res.headers.get('access-control-allow-headers')?.toLowerCase() ?? '';
    for (const h of ['content-type', 'x-namespace', 'authorization']) expect(allowed).toContain(h);
  });

  it('refuses origins that are not configured', async () => {
    const res = await fetch(`${open.url}/decode`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example' },
    });
    expect(res.status).toBe(403);
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('requires the bearer token when one is configured', async () => {
    const body = { payloads: [] };
    const none = await post(guarded, '/decode', body, { Origin: UI });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(none.headers.get('access-control-allow-origin')).toBe(UI); // so the UI can show the 401
    expect((await post(guarded, '/decode', body, { Authorization: 'Bearer wrong' })).status).toBe(401);
    expect((await post(guarded, '/decode', body, { Authorization: TOKEN })).status).toBe(401);
    const ok = await post(guarded, '/decode', body, { Authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ payloads: [] });
    expect(rejections.map((r) => r.status)).toEqual([401, 401, 401]);
    expect(JSON.stringify(rejections)).not.toContain('wrong');
  });

  it('answers 400 with a clear message on bad JSON or a bad shape', async () => {
    const bad = await post(open, '/decode', '{"payloads": [');
    expect(bad.status).toBe(400);
    expect(await bad.text()).toMatch(/^Request body is not valid JSON/);
    const shape = await post(open, '/decode', { payloads: [{ data: 'not base64!' }] });
    expect(shape.status).toBe(400);
    expect(await shape.text()).toMatch(/payloads\.0\.data: must be base64/);
    expect((await post(open, '/decode', { nope: 1 })).status).toBe(400);
  });

  it('answers 400 naming the key id when a payload cannot be decrypted', async () => {
    const other = parseKeyRing(`k9:${Buffer.alloc(32, 9).toString('base64')}`);
    const [encrypted] = await new EncryptionCodec(other).encode([defaultPayloadConverter.toPayload(PII)]);
    const res = await post(open, '/decode', { payloads: [toJson(encrypted!)] });
    expect(res.status).toBe(400);
    expect(await res.text()).toMatch(/key id "k9", which is not in the key ring/);
  });

  it('limits the body size', async () => {
    const res = await post(open, '/decode', { payloads: [{ data: 'A'.repeat(8000) }] });
    expect(res.status).toBe(413);
  });

  it('only serves POST /encode and POST /decode', async () => {
    expect((await fetch(`${open.url}/decode`)).status).toBe(405);
    expect((await post(open, '/other', { payloads: [] })).status).toBe(404);
  });
});

describe('codec app (inject)', () => {
  const keyRing = parseKeyRing(`k1:${K1}`);
  let app: FastifyInstance;
  const rejections: Array<{ status: number; message: string; path: string }> = [];
  beforeAll(async () => {
    app = await buildCodecServer({
      keyRing,
      allowedOrigins: [UI],
      authToken: TOKEN,
      maxBodyBytes: 4096,
      onRejected: (r) => rejections.push(r),
    });
  });
  afterAll(async () => {
    await app?.close();
  });
  const auth = { authorization: `Bearer ${TOKEN}` };

  it('takes {} and an empty or null list as no payloads (the CLI sends {} for a signal without input)', async () => {
    for (const payload of ['{}', '{"payloads":[]}', '{"payloads":null}']) {
      for (const url of ['/decode', '/encode']) {
        const r = await app.inject({
          method: 'POST',
          url,
          headers: { ...auth, 'content-type': 'application/json' },
          payload,
        });
        expect(r.statusCode, `${url} ${payload}`).toBe(200);
        expect(r.json()).toEqual({ payloads: [] });
      }
    }
  });

  it('accepts any path prefix and a query string, and a body without Content-Type', async () => {
    const plain = toJson(defaultPayloadConverter.toPayload(PII));
    const [encrypted] = await new EncryptionCodec(keyRing).encode([defaultPayloadConverter.toPayload(PII)]);
    for (const url of ['/decode', '/default/decode', '/proxy/codec/decode?ns=default']) {
      const r = await app.inject({
        method: 'POST',
        url,
        headers: auth,
        payload: Buffer.from(JSON.stringify({ payloads: [toJson(encrypted!)] })),
      });
      expect(r.statusCode, url).toBe(200);
      expect(r.json()).toEqual({ payloads: [plain] });
    }
  });

  it('refuses in order: origin 403, path 404, method 405, token 401, size 413, body 400', async () => {
    rejections.length = 0;
    const huge = 'x'.repeat(5000);
    const evil = await app.inject({
      method: 'POST',
      url: '/other',
      headers: { origin: 'https://evil.example' },
    });
    expect(evil.statusCode).toBe(403);
    expect(evil.body).toBe('Origin https://evil.example is not allowed (CODEC_ALLOWED_ORIGINS)');
    expect((await app.inject({ method: 'POST', url: '/other', payload: huge })).statusCode).toBe(404);
    const get = await app.inject({ method: 'GET', url: '/default/decode' });
    expect(get.statusCode).toBe(405);
    expect(get.headers.allow).toBe('POST, OPTIONS');
    const noToken = await app.inject({ method: 'POST', url: '/decode', payload: huge });
    expect(noToken.statusCode).toBe(401);
    const tooLarge = await app.inject({ method: 'POST', url: '/decode', headers: auth, payload: huge });
    expect(tooLarge.statusCode).toBe(413);
    expect(tooLarge.body).toBe('Request body larger than 4096 bytes');
    const bad = await app.inject({ method: 'POST', url: '/decode', headers: auth, payload: '[]' });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(bad.body).toMatch(/^Request body must be \{"payloads"/);
    expect(rejections.map((r) => [r.status, r.path])).toEqual([
      [403, '/other'],
      [404, '/other'],
      [405, '/default/decode'],
      [401, '/decode'],
      [413, '/decode'],
      [400, '/decode'],
    ]);
    expect(JSON.stringify(rejections)).not.toContain(TOKEN);
  });

  it('answers preflight on any path for an allowed origin', async () => {
    const r = await app.inject({ method: 'OPTIONS', url: '/default/encode', headers: { origin: UI } });
    expect(r.statusCode).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe(UI);
    expect(r.headers['access-control-max-age']).toBe('600');
  });
});
