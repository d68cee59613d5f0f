import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type DoctorReport, formatDoctorReport, runDoctor } from '../../client/doctor/probe';
import { type RunningSimulator, startSimulator, type SimulatorOptions } from '../../simulator/server';
import { DEFAULT_ACKNOWLEDGE_METHOD, DEFAULT_LIST_DIALECT } from '../../activities/flxpoint/dialect';

// The doctor against the simulator in each reading of the docs: it must name the dialect that works, fail
// where a worker would mirror every FR, and never write.

const ROOT = join(__dirname, '../..');
let sim: RunningSimulator | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
});

async function doctorAgainst(
  opts: SimulatorOptions,
  extra: { token?: string; expectedSourceId?: number; configuredDialect?: 'guide' | 'reference' } = {},
): Promise<DoctorReport> {
  sim = await startSimulator({ seed: { count: 6, itemsPerFr: 2 }, ...opts });
  // Some FRs that are no longer waiting, so an ignored status filter shows.
  const ids = sim.state.store
    .list(1001, new Set(['processing', 'processed'] as const), 1, 50)
    .map((f) => f.id);
  sim.state.acknowledgeAsSomeoneElse(ids[0]!);
  sim.state.cancel(ids[1]!);
  sim.state.resetCounters();
  return runDoctor({
    baseUrl: sim.url,
    token: extra.token ?? 'dev-token',
    minIntervalMs: 0,
    ...(extra.expectedSourceId !== undefined ? { expectedSourceId: extra.expectedSourceId } : {}),
    ...(extra.configuredDialect ? { configuredDialect: extra.configuredDialect } : {}),
  });
}

const check = (r: DoctorReport, name: RegExp) => r.checks.find((c) => name.test(c.name));

/** Every request the doctor made was a read: no write endpoint was touched. */
function expectReadOnly(): void {
  const c = sim!.state.snapshotCounters();
  const writes = Object.entries(c.requestsByEndpoint ?? {}).filter(
    ([endpoint]) => !/\.(list|get|count)$/.test(endpoint),
  );
  expect(writes).toEqual([]);
  expect(c.ackAttemptsByFr).toEqual({});
}

describe('doctor', () => {
  it('on a server that speaks both dialects recommends the documented one and passes', async () => {
    const r = await doctorAgainst(
      { rateLimit: { enabled: false }, listDialects: ['guide', 'reference'], listEnvelope: 'items' },
      { expectedSourceId: 1001 },
    );
    expect(r.failed).toBe(false);
    expect(r.recommended).toMatchObject({ FLXPOINT_LIST_DIALECT: 'reference', FLXPOINT_ACK_METHOD: 'PATCH' });
    expect(check(r, /list elements/)?.status).toBe('ok');
    expect(check(r, /^source$/)?.detail).toMatch(/source 1001/);
    expect(check(r, /page base/)?.detail).toMatch(/start at 1/);
    expectReadOnly();
  });

  it('on a server that ignores unknown parameters (reference only) fails a guide-configured worker and says what to set', async () => {
    const r = await doctorAgainst(
      { rateLimit: { enabled: false }, listDialects: ['reference'], listEnvelope: 'array' },
      { configuredDialect: 'guide' },
    );
    expect(check(r, /guide dialect/)).toMatchObject({ status: 'warn' });
    expect(check(r, /guide dialect/)?.detail).toMatch(/paging IGNORED, status filter IGNORED/);
    expect(check(r, /configured dialect/)).toMatchObject({ status: 'fail' });
    expect(check(r, /configured dialect/)?.detail).toMatch(/FLXPOINT_LIST_DIALECT=reference/);
    expect(check(r, /list envelope/)?.detail).toBe('bare JSON array');
    expect(r.failed).toBe(true);
    expect(r.recommended.FLXPOINT_LIST_DIALECT).toBe('reference');
    expectReadOnly();
  });

  it('on the documented contract that ignores unknown parameters (the simulator default) advises exactly the worker defaults', async () => {
    const r = await doctorAgainst({ rateLimit: { enabled: false } });
    expect(r.failed).toBe(false);
    expect(r.recommended).toEqual({
      FLXPOINT_LIST_DIALECT: DEFAULT_LIST_DIALECT,
      FLXPOINT_ACK_METHOD: DEFAULT_ACKNOWLEDGE_METHOD,
    });
    expect(check(r, /guide dialect/)?.detail).toMatch(/status filter IGNORED/);
    expect(check(r, /reference dialect/)?.detail).toBe('paging honoured, status filter honoured');
    expectReadOnly();
  });

  it('cannot tell a filter works when every FR it sees is waiting, and says so instead of passing it', async () => {
    sim = await startSimulator({ seed: { count: 3 }, rateLimit: { enabled: false } });
    const r = await runDoctor({ baseUrl: sim.url, token: 'dev-token', minIntervalMs: 0 });
    expect(check(r, /reference dialect/)?.detail).toMatch(/status filter unknown/);
    expect(check(r, /guide dialect/)?.detail).toMatch(/paging IGNORED/);
    expect(r.recommended.FLXPOINT_LIST_DIALECT).toBe('reference');
  });

  it('on a server that speaks only the guide dialect recommends guide', async () => {
    const r = await doctorAgainst({ rateLimit: { enabled: false }, listDialects: ['guide'] });
    expect(check(r, /reference dialect/)?.status).toBe('warn');
    expect(r.recommended.FLXPOINT_LIST_DIALECT).toBe('guide');
    expect(r.failed).toBe(false);
    expectReadOnly();
  });

  it('fails clearly on a bad token, a wrong source, and never prints the token', async () => {
    const bad = await doctorAgainst({ rateLimit: { enabled: false } }, { token: 'not-a-real-token-123' });
    expect(bad.failed).toBe(true);
    expect(check(bad, /token/)?.detail).toMatch(/401/);
    expect(JSON.stringify(bad) + formatDoctorReport(bad)).not.toContain('not-a-real-token-123');
    await sim!.close();
    sim = undefined;
    const wrong = await doctorAgainst({ rateLimit: { enabled: false } }, { expectedSourceId: 7 });
    expect(check(wrong, /^source$/)).toMatchObject({ status: 'fail' });
    expect(formatDoctorReport(wrong)).toMatch(/Result: FAIL/);
  });

  it('stays under the rate limit it checks (strict 2 req/s bucket: no 429) with its default pacing', async () => {
    sim = await startSimulator({ seed: { count: 3 }, rateLimit: { ratePerSec: 2, burst: 2 } });
    const r = await runDoctor({ baseUrl: sim.url, token: 'dev-token' });
    expect(r.requests).toBeGreaterThanOrEqual(5);
    expect(sim.state.snapshotCounters().tooManyRequests ?? 0).toBe(0);
    expect(check(r, /rate limit/)?.detail).toMatch(/retry-after|FLXPOINT_REQUESTS_PER_SECOND/i);
  });
});

describe('npm run cli -- doctor', () => {
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

  it('reads the worker settings, exits 1 on a dialect the server ignores and 0 once set as advised; 2 on bad config', async () => {
    sim = await startSimulator({
      seed: { count: 4 },
      listDialects: ['reference'],
      rateLimit: { enabled: false },
    });
    sim.state.acknowledgeAsSomeoneElse(1);
    const env = {
      FLXPOINT_BASE_URL: sim.url,
      FLXPOINT_SOURCES: 'main:1001',
      FLXPOINT_TOKEN_MAIN: 'dev-token',
      FLXPOINT_LIST_DIALECT: 'guide',
    };
    const bad = await run(env, '--json', 'doctor');
    expect(bad.code).toBe(1);
    const [report] = JSON.parse(bad.stdout) as (DoctorReport & { sourceKey: string })[];
    expect(report).toMatchObject({
      sourceKey: 'main',
      failed: true,
      recommended: { FLXPOINT_LIST_DIALECT: 'reference' },
    });
    expect(bad.stderr).toMatch(/doctor found problems for source\(s\) main/);
    expect(bad.stdout + bad.stderr).not.toContain('dev-token');

    const good = await run({ ...env, FLXPOINT_LIST_DIALECT: 'reference' }, 'doctor');
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/== source main[\s\S]*Result: OK/);

    // No dialect settings at all: the defaults are what this server honours.
    const { FLXPOINT_LIST_DIALECT: _unused, ...defaults } = env;
    const byDefault = await run(defaults, '--json', 'doctor');
    expect(byDefault.code).toBe(0);
    expect(JSON.parse(byDefault.stdout)[0]).toMatchObject({
      failed: false,
      recommended: { FLXPOINT_LIST_DIALECT: 'reference', FLXPOINT_ACK_METHOD: 'PATCH' },
    });

    const noUrl = await run({ FLXPOINT_SOURCES: 'main:1001', FLXPOINT_TOKEN_MAIN: 'x' }, 'doctor');
    expect(noUrl.code).toBe(2);
    expect(noUrl.stderr).toMatch(/FLXPOINT_BASE_URL/);
  });
});
