import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseCliArgs, UsageError } from '../../simulator/cli-args';

// CLI flags: defaults, every rejection listed, exit code 2 from the real entry point.

describe('simulator CLI flags', () => {
  it('parses the documented flags', () => {
    const cfg = parseCliArgs([
      '--port',
      '9999',
      '--seed-count',
      '5',
      '--items-per-fr',
      '3',
      '--rate',
      '4',
      '--burst',
      '8',
      '--retry-after',
      'none',
      '--fault-5xx',
      '0.1',
      '--fault-slow-ms',
      '500',
      '--envelope',
      'array',
      '--ack-methods',
      'PATCH',
      '--token',
      'abc=7',
      '--generate-rate',
      '2',
    ]);
    expect(cfg.options).toMatchObject({
      port: 9999,
      seed: { count: 5, itemsPerFr: 3 },
      rateLimit: { enabled: true, ratePerSec: 4, burst: 8, retryAfter: 'none' },
      faults: { rules: { '*': { error5xx: 0.1, slowMs: 500 } } },
      listEnvelope: 'array',
      acknowledgeMethods: ['PATCH'],
      tokens: { abc: 7 },
    });
    expect(cfg.generateRate).toBe(2);
    expect(parseCliArgs(['--no-rate-limit']).options.rateLimit?.enabled).toBe(false);
    expect(parseCliArgs([]).options).toMatchObject({ port: 8787, host: '127.0.0.1', seed: { count: 20 } });
  });

  it('lists every bad value at once', () => {
    let err: unknown;
    try {
      parseCliArgs([
        '--port',
        'x',
        '--rate',
        '0',
        '--fault-5xx',
        '1.5',
        '--envelope',
        'xml',
        '--token',
        'secret-ish',
      ]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    const msg = (err as Error).message;
    for (const flag of ['--port', '--rate', '--fault-5xx', '--envelope', '--token'])
      expect(msg).toContain(flag);
    expect(msg).not.toContain('secret-ish');
    expect(() => parseCliArgs(['--unknown-flag'])).toThrow(UsageError);
  });

  it('exits 2 with the usage on a bad flag', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'simulator/main.ts', '--burst', '-3'], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('Usage: npm run simulator');
  });
});
