import { mkdirSync, mkdtempSync, readdirSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileError } from '../../stock-sources/file-source';
import { loadStockSource } from '../../stock-sources/load';
import { StockSourceError, type StockSource } from '../../stock-sources/types';

// A stock source that cannot be read says what is wrong and what to do, as a StockSourceError whose
// `permanent` tells a configuration problem (an operator must act; the sync should fail at once) from one
// that may pass (retry). Never with a secret of the source in the message.

const SETTING = 'INVENTORY_STOCK_SOURCE_MAIN';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'stock-errors-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** What reading the first page throws (or undefined when it reads). */
async function firstReadError(source: StockSource): Promise<unknown> {
  try {
    for await (const _page of source.read({ pageSize: 10 })) break;
    return undefined;
  } catch (err) {
    return err;
  }
}

function expectStockError(err: unknown, permanent: boolean, message: RegExp): StockSourceError {
  expect(err).toBeInstanceOf(StockSourceError);
  const e = err as StockSourceError;
  expect(e.permanent).toBe(permanent);
  expect(e.message).toMatch(message);
  return e;
}

describe('file stock source errors', () => {
  it('a missing file is permanent and names the file, the setting and the export', async () => {
    for (const name of ['missing.csv', 'missing.jsonl', 'no-dir/missing.csv']) {
      const path = join(dir, name);
      const source = await loadStockSource(`file:${path}`, { setting: SETTING });
      const e = expectStockError(await firstReadError(source), true, /does not exist/);
      expect(e.message).toContain(path);
      expect(e.message).toContain(SETTING);
      expect(e.message).toMatch(/export ran/);
      // The start-up check says the same without reading.
      expectStockError(await source.check!().catch((err: unknown) => err), true, /does not exist/);
    }
  });

  it('a directory is permanent', async () => {
    const path = join(dir, 'a-dir.csv');
    mkdirSync(path);
    const source = await loadStockSource(`file:${path}`, { setting: SETTING });
    expectStockError(
      await firstReadError(source),
      true,
      /is a directory, not a file.*INVENTORY_STOCK_SOURCE_MAIN/,
    );
    expectStockError(await source.check!().catch((err: unknown) => err), true, /is a directory/);
  });

  it('permission denied is permanent, a busy or failing disk is not', () => {
    const errno = (code: string) => Object.assign(new Error(`${code}: x`), { code });
    expectStockError(
      fileError('/data/stock.csv', SETTING, errno('EACCES')),
      true,
      /permission denied.*readable/,
    );
    expectStockError(fileError('/data/stock.csv', SETTING, errno('EPERM')), true, /permission denied/);
    expectStockError(fileError('/data/stock.csv', SETTING, errno('EBUSY')), false, /may be temporary.*EBUSY/);
    expectStockError(fileError('/data/stock.csv', SETTING, errno('EIO')), false, /EIO/);
  });

  it('a readable file passes the check and reads', async () => {
    const path = join(dir, 'ok.csv');
    writeFileSync(path, 'sku,quantity\nA,1\n');
    const source = await loadStockSource(`file:${path}`);
    await expect(source.check!()).resolves.toBeUndefined();
    expect(await firstReadError(source)).toBeUndefined();
  });
});

describe('file stock source, read stopped early', () => {
  /** Descriptors of this process open on `path` (Linux). */
  const openOn = (path: string) =>
    readdirSync('/proc/self/fd').filter((fd) => {
      try {
        return readlinkSync(`/proc/self/fd/${fd}`) === path;
      } catch {
        return false;
      }
    }).length;

  it.runIf(process.platform === 'linux')(
    'closes the file after the first page (doctor, an abort)',
    async () => {
      for (const [name, line] of [
        ['big.csv', (i: number) => `S${i},${i}`],
        ['big.jsonl', (i: number) => JSON.stringify({ sku: `S${i}`, quantity: i })],
      ] as const) {
        const path = join(dir, name);
        const head = name.endsWith('.csv') ? 'sku,quantity\n' : '';
        writeFileSync(path, head + Array.from({ length: 50_000 }, (_, i) => line(i)).join('\n'));
        const source = await loadStockSource(`file:${path}`);
        for await (const page of source.read({ pageSize: 10 })) {
          expect(page.rows).toHaveLength(10);
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
        expect(openOn(path), name).toBe(0);
      }
    },
  );
});

describe('http stock source errors', () => {
  let server: Server;
  let base: string;
  beforeAll(async () => {
    server = createServer((req, res) => {
      const status = Number(new URL(req.url ?? '/', 'http://x').pathname.slice(1)) || 200;
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      // An error body that echoes the credential: it must not reach the message.
      res.end(status === 200 ? '[]' : JSON.stringify({ error: `bad token secret-in-query` }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://user:secret-password@127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  const readAt = async (path: string) =>
    firstReadError(await loadStockSource(`http:${base}/${path}?token=secret-in-query`, { setting: SETTING }));

  it('4xx other than 408/429 is permanent and says what to check; 5xx, 408, 429 are not', async () => {
    const cases: [number, boolean, RegExp][] = [
      [401, true, /HTTP 401: it refuses our credentials.*INVENTORY_STOCK_SOURCE_MAIN/],
      [403, true, /HTTP 403: it refuses our credentials/],
      [404, true, /HTTP 404: no such endpoint; check the URL in INVENTORY_STOCK_SOURCE_MAIN/],
      [400, true, /HTTP 400: it refuses the request/],
      [408, false, /HTTP 408 \(may be temporary\)/],
      [429, false, /HTTP 429/],
      [500, false, /HTTP 500/],
      [503, false, /HTTP 503/],
    ];
    for (const [status, permanent, message] of cases) {
      const e = expectStockError(await readAt(String(status)), permanent, message);
      expect(e.message).not.toMatch(/secret/);
      expect(e.message).toContain(`127.0.0.1`);
    }
  });

  it('an endpoint that cannot be reached is not permanent, and its message holds no secret', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const source = await loadStockSource(`http:http://u:secret-password@127.0.0.1:${port}/s?key=secret-key`);
    const e = expectStockError(
      await firstReadError(source),
      false,
      /could not be reached \(may be temporary\)/,
    );
    expect(e.message).not.toMatch(/secret/);
    expect(source.check).toBeUndefined(); // never asked at start
  });

  it('a body that is not the contract is permanent', async () => {
    const html = createServer((_req, res) => res.end('<html>login</html>'));
    await new Promise<void>((r) => html.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(html.address() as AddressInfo).port}/stock`;
      expectStockError(
        await firstReadError(await loadStockSource(`http:${url}`, { setting: SETTING })),
        true,
        /body is not JSON.*check the URL in INVENTORY_STOCK_SOURCE_MAIN/,
      );
    } finally {
      await new Promise<void>((r) => html.close(() => r()));
    }
  });
});

describe('module stock source errors', () => {
  const load = (spec: string) =>
    loadStockSource(spec, { setting: SETTING }).then(
      () => undefined,
      (err: unknown) => err,
    );

  it('a missing module, one that does not load and one without a reader are permanent', async () => {
    expectStockError(
      await load(`module:${join(dir, 'nope')}`),
      true,
      /stock source module not found.*INVENTORY_STOCK_SOURCE_MAIN/,
    );
    writeFileSync(join(dir, 'throws.cjs'), 'throw new Error("boom at load");');
    expectStockError(await load(`module:${join(dir, 'throws.cjs')}`), true, /failed to load: boom at load/);
    writeFileSync(join(dir, 'empty.cjs'), 'exports.other = 1;');
    expectStockError(
      await load(`module:${join(dir, 'empty.cjs')}`),
      true,
      /must export.*INVENTORY_STOCK_SOURCE_MAIN/,
    );
    writeFileSync(join(dir, 'factory.cjs'), 'module.exports = () => { throw new Error("no ERP"); };');
    expectStockError(
      await load(`module:${join(dir, 'factory.cjs')}`),
      true,
      /exported function failed: no ERP/,
    );
  });

  it('a page that is not an array is permanent', async () => {
    writeFileSync(
      join(dir, 'bad-page.cjs'),
      `exports.stockSource = { name: 'erp', async *read() { yield { sku: 'A', quantity: 1 }; } };`,
    );
    const source = await loadStockSource(`module:${join(dir, 'bad-page.cjs')}`);
    expectStockError(await firstReadError(source), true, /page 1 is not an array/);
  });

  it('an unknown spec is a permanent StockSourceError too', async () => {
    expectStockError(await load('ftp://x'), true, /unknown stock source/);
  });
});
