import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FulfillmentRequestSnapshot } from '../../common/domain';
import { loadHandler } from '../../handlers/load';
import { HandlerRejectedError, type FrHandlerContext } from '../../handlers/types';

// Every spec kind the worker's FR_HANDLER accepts, and the mistakes people make with them. Module
// fixtures are written to a temp dir, as an integrator's own file would live outside this repo.

const root = join(__dirname, '../..');
const ctx: FrHandlerContext = { sourceKey: 'main', sourceId: 1, workflowId: 'fr:1:5', attempt: 1 };
const fr: FulfillmentRequestSnapshot = {
  id: 5,
  fulfillmentRequestItems: [
    { id: 51, sku: 'SKU-LOW', quantity: 3 },
    { id: 52, sku: 'SKU-IN-STOCK', quantity: 2 },
  ],
};

let dir: string;
let server: Server;
let serverUrl: string;
const write = (name: string, text: string) => {
  writeFileSync(join(dir, name), text);
  return join(dir, name);
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'flx-handlers-'));
  server = createServer((req, res) => {
    req.resume();
    req.on('end', () =>
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ kind: 'fail', reason: 'from http' })),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  serverUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/decide`;
});
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe('loadHandler: good specs', () => {
  it('accept-all', async () => {
    const h = await loadHandler('accept-all');
    expect(h.name).toBe('accept-all');
    await expect(h.decide(fr, ctx)).resolves.toEqual({ kind: 'accept' });
  });

  it('http:<url>', async () => {
    const h = await loadHandler(`http:${serverUrl}`, { http: { timeoutMs: 2000 } });
    expect(h.name).toBe(`http:${serverUrl}`);
    await expect(h.decide(fr, ctx)).resolves.toEqual({ kind: 'fail', reason: 'from http' });
  });

  it('module: the partial-stock example, by relative path with or without extension', async () => {
    for (const spec of [
      'module:handlers/examples/partial-stock.ts',
      'module:./handlers/examples/partial-stock',
    ]) {
      const h = await loadHandler(spec, { cwd: root });
      expect(h.name).toBe('partial-stock');
      await expect(h.decide(fr, ctx)).resolves.toEqual({
        kind: 'partial',
        items: [
          { id: 51, acknowledgedQuantity: 1 },
          { id: 52, acknowledgedQuantity: 2 },
        ],
        killOrFillType: 'fill',
      });
    }
  });

  it('module: a CommonJS `handler` export, by absolute path', async () => {
    const file = write(
      'named.cjs',
      `exports.handler = { name: 'named', decide: async (fr, ctx) => ({ kind: 'fail', reason: 'seen ' + ctx.workflowId }) };`,
    );
    const h = await loadHandler(`module:${file}`);
    expect(h.name).toBe('named');
    await expect(h.decide(fr, ctx)).resolves.toEqual({ kind: 'fail', reason: 'seen fr:1:5' });
  });

  it('module: a default-exported async factory', async () => {
    const file = write(
      'factory.js',
      `module.exports = async () => ({ name: 'made', decide: async () => ({ kind: 'accept' }) });`,
    );
    const h = await loadHandler(`module:${file}`);
    expect(h.name).toBe('made');
    await expect(h.decide(fr, ctx)).resolves.toEqual({ kind: 'accept' });
  });

  it('module: a TypeScript default export', async () => {
    const file = write(
      'typed.ts',
      `const h: { name: string; decide: () => Promise<{ kind: 'accept' }> } = { name: 'typed', decide: async () => ({ kind: 'accept' }) };\nexport default h;\n`,
    );
    expect((await loadHandler(`module:${file}`)).name).toBe('typed');
  });

  it('module handlers have their decisions validated against the FR', async () => {
    const file = write(
      'sloppy.cjs',
      `module.exports = { name: 'sloppy', decide: async () => ({ kind: 'partial', items: [{ id: 99, acknowledgedQuantity: 1 }] }) };`,
    );
    const h = await loadHandler(`module:${file}`);
    const err = await h.decide(fr, ctx).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err).toBeInstanceOf(HandlerRejectedError);
    expect(err?.message).toMatch(
      /handler "sloppy" returned an invalid handler decision for FR 5: items\[0\]\.id: 99/,
    );
  });
});

describe('loadHandler: bad specs fail at startup with a clear message', () => {
  it.each([
    ['', /unknown handler spec "".*accept-all/],
    ['accept_all', /unknown handler spec "accept_all"/],
    ['https://wms.example.com/x?token=abc', /prefix the URL with "http:"/],
    ['http:', /has no URL/],
    ['http:ftp://wms.example.com/', /http or https/],
    ['http:not a url', /absolute URL/],
    ['module:', /has no path/],
    ['module:./does/not/exist', /handler module not found: .*does\/not\/exist .*relative paths start at/],
  ])('%j', async (spec, message) => {
    const err = await loadHandler(spec, { cwd: root }).then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toMatch(message);
    expect(err?.message).not.toContain('token=abc');
  });

  it('a module with no usable export', async () => {
    // CommonJS: module.exports is the default export, so the message describes what it holds.
    const cjs = write('none.cjs', `exports.somethingElse = 1;`);
    await expect(loadHandler(`module:${cjs}`)).rejects.toThrow(/keys \[somethingElse\], not an FrHandler/);
    const esm = write('none.ts', `export const somethingElse = 1;\n`);
    await expect(loadHandler(`module:${esm}`)).rejects.toThrow(
      /neither a `handler` nor a default export \(it exports: somethingElse\)/,
    );
  });

  it('a module exporting the wrong shape', async () => {
    const file = write('shape.cjs', `exports.handler = { name: '', decide: 'yes' };`);
    await expect(loadHandler(`module:${file}`)).rejects.toThrow(
      /an object with keys \[name, decide\], not an FrHandler/,
    );
  });

  it('a factory that returns the wrong thing or throws', async () => {
    const wrong = write('wrong-factory.cjs', `module.exports = () => 42;`);
    await expect(loadHandler(`module:${wrong}`)).rejects.toThrow(/exports a number, not an FrHandler/);
    const throws = write(
      'throwing-factory.cjs',
      `module.exports = () => { throw new Error('no WMS_URL set'); };`,
    );
    await expect(loadHandler(`module:${throws}`)).rejects.toThrow(
      /handler factory exported by .* threw: no WMS_URL set/,
    );
  });

  it('a module that does not load', async () => {
    const file = write('broken.cjs', `module.exports = {;`);
    await expect(loadHandler(`module:${file}`)).rejects.toThrow(/failed to load/);
  });
});
