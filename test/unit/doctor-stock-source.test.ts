import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type DoctorReport, formatDoctorReport } from '../../client/doctor/probe';
import { checkStockSource } from '../../client/doctor/stock';
import { type RunningSimulator, startSimulator } from '../../simulator/server';

// `doctor` checks each configured stock source (INVENTORY_STOCK_SOURCE_<KEY>) the way an inventory sync
// reads it — the first page only, one request for http: — and says ok, or what is wrong and what to fix.

const ROOT = join(__dirname, '../..');
const SETTING = 'INVENTORY_STOCK_SOURCE_MAIN';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'doctor-stock-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('doctor: stock source check', () => {
  it('file: ok with the rows of the first page; fail naming the file and the setting when it is missing', async () => {
    const path = join(dir, 'stock.csv');
    writeFileSync(path, 'sku,quantity\n' + Array.from({ length: 250 }, (_, i) => `S${i},${i}`).join('\n'));
    const ok = await checkStockSource(`file:${path}`, { setting: SETTING });
    expect(ok).toEqual({
      name: 'stock source',
      status: 'ok',
      detail: `file:${path}: first page read, 100 row(s) (first SKU S0)`,
    });

    const missing = join(dir, 'missing.csv');
    const fail = await checkStockSource(`file:${missing}`, { setting: SETTING });
    expect(fail.status).toBe('fail');
    expect(fail.detail).toMatch(new RegExp(`${missing}.*does not exist; check ${SETTING}`));

    mkdirSync(join(dir, 'dir.csv'));
    expect(await checkStockSource(`file:${join(dir, 'dir.csv')}`, { setting: SETTING })).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/is a directory/),
    });
  });

  it('warns on an empty file and on bad rows, fails when no row of the first page is valid', async () => {
    writeFileSync(join(dir, 'empty.csv'), 'sku,quantity\n');
    expect(await checkStockSource(`file:${join(dir, 'empty.csv')}`, { setting: SETTING })).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/empty/),
    });
    writeFileSync(join(dir, 'some-bad.csv'), 'sku,quantity\nA,1\nB,-1\n');
    expect(await checkStockSource(`file:${join(dir, 'some-bad.csv')}`, { setting: SETTING })).toMatchObject({
      status: 'warn',
      detail: expect.stringMatching(/1 valid row\(s\), 1 bad row\(s\).*line 3 \(B\): quantity must be ≥ 0/),
    });
    writeFileSync(join(dir, 'wrong-header.csv'), 'item,stock_level\nA,1\n');
    expect(
      await checkStockSource(`file:${join(dir, 'wrong-header.csv')}`, { setting: SETTING }),
    ).toMatchObject({ status: 'fail', detail: expect.stringMatching(/0 valid row\(s\).*sku is required/) });
  });

  it('module: ok when it loads and yields rows, fail when it is missing or exports no reader', async () => {
    const good = join(dir, 'erp.cjs');
    writeFileSync(
      good,
      `exports.stockSource = { name: 'erp', async *read() { yield [{ sku: 'M1', quantity: 3 }]; } };`,
    );
    expect(await checkStockSource(`module:${good}`, { setting: SETTING })).toMatchObject({
      status: 'ok',
      detail: 'module:erp: first page read, 1 row(s) (first SKU M1)',
    });
    expect(await checkStockSource(`module:${join(dir, 'nope')}`, { setting: SETTING })).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/^INVENTORY_STOCK_SOURCE_MAIN: stock source module not found/),
    });
    writeFileSync(join(dir, 'none.cjs'), 'exports.x = 1;');
    expect(await checkStockSource(`module:${join(dir, 'none.cjs')}`, { setting: SETTING })).toMatchObject({
      status: 'fail',
      detail: expect.stringMatching(/must export/),
    });
  });

  describe('http', () => {
    let server: Server;
    let base: string;
    const requests: string[] = [];
    beforeAll(async () => {
      server = createServer((req, res) => {
        requests.push(req.url ?? '');
        const u = new URL(req.url ?? '/', 'http://x');
        const status = Number(u.pathname.slice(1)) || 200;
        res.statusCode = status;
        res.setHeader('content-type', 'application/json');
        const size = Number(u.searchParams.get('pageSize'));
        res.end(
          status === 200
            ? JSON.stringify(Array.from({ length: size }, (_, i) => ({ sku: `H${i}`, quantity: 1 })))
            : '{"error":"nope"}',
        );
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise<void>((r) => server.close(() => r())));

    it('sends one request even when the first page is full, and reports ok', async () => {
      requests.length = 0;
      const r = await checkStockSource(`http:${base}/stock?token=secret-token`, { setting: SETTING });
      expect(r).toMatchObject({
        status: 'ok',
        detail: `http:${base}/stock: first page read, 100 row(s) (first SKU H0)`,
      });
      expect(requests).toHaveLength(1);
    });

    it('fails on 401/404 with what to check, warns on 503, and never shows the secret', async () => {
      const at = (status: number) =>
        checkStockSource(`http:http://u:secret-pass@${base.slice(7)}/${status}?token=secret-token`, {
          setting: SETTING,
        });
      const unauthorized = await at(401);
      expect(unauthorized).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/HTTP 401: it refuses our credentials/),
      });
      expect(await at(404)).toMatchObject({
        status: 'fail',
        detail: expect.stringMatching(/no such endpoint; check the URL in INVENTORY_STOCK_SOURCE_MAIN/),
      });
      const unavailable = await at(503);
      expect(unavailable).toMatchObject({
        status: 'warn',
        detail: expect.stringMatching(/could not be checked now: .*HTTP 503.*run doctor again/),
      });
      expect(JSON.stringify([unauthorized, unavailable])).not.toMatch(/secret/);
    });
  });
});

describe('npm run cli -- doctor with a stock source', () => {
  let sim: RunningSimulator | undefined;
  afterEach(async () => {
    await sim?.close();
    sim = undefined;
  });
  const run = (env: Record<string, string>, ...args: string[]) =>
    new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
      execFile(
        join(ROOT, 'node_modules/.bin/tsx'),
        [join(ROOT, 'client/cli.ts'), ...args],
        { cwd: ROOT, env: { PATH: process.env.PATH ?? '', ...env }, timeout: 60_000 },
        (err, stdout, stderr) =>
          resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });

  it('adds the check to the report (text and --json) and exits 1 when the stock file is missing', async () => {
    sim = await startSimulator({ seed: { count: 4 }, rateLimit: { enabled: false } });
    sim.state.acknowledgeAsSomeoneElse(1);
    const file = join(dir, 'cli-stock.jsonl');
    writeFileSync(file, JSON.stringify({ sku: 'A-1', quantity: 2 }) + '\n');
    const env = {
      FLXPOINT_BASE_URL: sim.url,
      FLXPOINT_SOURCES: 'main:1001',
      FLXPOINT_TOKEN_MAIN: 'dev-token',
      INVENTORY_STOCK_SOURCE_MAIN: `file:${file}`,
    };
    const good = await run(env, '--json', 'doctor');
    expect(good.code).toBe(0);
    const [report] = JSON.parse(good.stdout) as (DoctorReport & { sourceKey: string })[];
    expect(report!.checks.at(-1)).toEqual({
      name: 'stock source',
      status: 'ok',
      detail: `file:${file}: first page read, 1 row(s) (first SKU A-1)`,
    });

    const missing = join(dir, 'not-there.csv');
    const bad = await run({ ...env, INVENTORY_STOCK_SOURCE_MAIN: `file:${missing}` }, 'doctor');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(
      new RegExp(
        `\\[FAIL\\] stock source: stock file ${missing} cannot be read: it does not exist; check INVENTORY_STOCK_SOURCE_MAIN`,
      ),
    );
    expect(bad.stdout).toMatch(/Result: FAIL/);
    expect(bad.stderr).toMatch(/doctor found problems for source\(s\) main/);
    // Without a stock source there is no such check.
    const { INVENTORY_STOCK_SOURCE_MAIN: _unused, ...none } = env;
    const plain = await run(none, '--json', 'doctor');
    expect((JSON.parse(plain.stdout) as DoctorReport[])[0]!.checks.map((c) => c.name)).not.toContain(
      'stock source',
    );
    expect(formatDoctorReport(report!)).toMatch(/\[ok  \] stock source: file:/);
  });
});
