import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// Issue 10 row 15: every configuration error exits 2, before any work, in every process (worker, intake,
// codec server, CLI, schedule Job). Each case spawns the real entry point with one bad setting. "Before any
// work": nothing is bundled, no store opened, no connection made (TEMPORAL_ADDRESS points nowhere, so a
// process that got that far would fail with 1 after a connect error instead).

const ROOT = join(__dirname, '../..');
const SECRET = 'sekret-token-value-1234567890';
const GOOD_KEY = `k1:${randomBytes(32).toString('base64')}`;

const WORKER_ENV = {
  FLXPOINT_SOURCES: 'main:1001',
  FLXPOINT_TOKEN_MAIN: SECRET,
  FLXPOINT_BASE_URL: 'http://127.0.0.1:9',
  TEMPORAL_ADDRESS: '127.0.0.1:9',
  STORE_URL: 'embedded',
  WORKER_HEALTH_PORT: '0',
  WORKER_METRICS_PORT: '0',
};
const INTAKE_ENV = { TEMPORAL_ADDRESS: '127.0.0.1:9', INTAKE_AUTH_TOKENS: SECRET, INTAKE_PORT: '0' };

function run(
  entry: string,
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    let out = '';
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, entry), ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => resolve({ code, out }));
  });
}

const CASES: { name: string; entry: string; args?: string[]; env: Record<string, string>; says: RegExp }[] = [
  {
    name: 'worker: a key of the wrong length',
    entry: 'worker/main.ts',
    env: { ...WORKER_ENV, FLXPOINT_ENCRYPTION_KEYS: 'k1:c2hvcnQ=' },
    says: /FLXPOINT_ENCRYPTION_KEYS: key "k1" is 5 bytes long/,
  },
  {
    name: 'worker: an active key id not in the ring',
    entry: 'worker/main.ts',
    env: { ...WORKER_ENV, FLXPOINT_ENCRYPTION_KEYS: GOOD_KEY, FLXPOINT_ENCRYPTION_ACTIVE_KEY: 'k9' },
    says: /active key id "k9" is not in the key ring/,
  },
  {
    name: 'worker: a TLS certificate that does not exist',
    entry: 'worker/main.ts',
    env: {
      ...WORKER_ENV,
      TEMPORAL_TLS_CERT: '/nonexistent/cert.pem',
      TEMPORAL_TLS_KEY: '/nonexistent/key.pem',
    },
    says: /TEMPORAL_TLS_CERT: \/nonexistent\/cert.pem does not exist/,
  },
  {
    name: 'worker: a handler module that does not exist',
    entry: 'worker/main.ts',
    env: { ...WORKER_ENV, FR_HANDLER: 'module:./no-such-handler.js' },
    says: /FR_HANDLER: handler module not found/,
  },
  {
    name: 'worker: an http handler URL that is not http(s)',
    entry: 'worker/main.ts',
    env: { ...WORKER_ENV, FR_HANDLER: 'http:ftp://wms.example.com/fr' },
    says: /FR_HANDLER: http handler: url must use http or https/,
  },
  {
    name: 'worker: handler headers that are not a JSON object',
    entry: 'worker/main.ts',
    env: { ...WORKER_ENV, FR_HANDLER_HEADERS: `Authorization: Bearer ${SECRET}` },
    says: /FR_HANDLER_HEADERS: is not JSON/,
  },
  {
    name: 'intake: a key of the wrong length',
    entry: 'intake/main.ts',
    env: { ...INTAKE_ENV, FLXPOINT_ENCRYPTION_KEYS: 'k1:c2hvcnQ=' },
    says: /FLXPOINT_ENCRYPTION_KEYS: key "k1" is 5 bytes long/,
  },
  {
    name: 'intake: a TLS CA that does not exist',
    entry: 'intake/main.ts',
    env: { ...INTAKE_ENV, TEMPORAL_TLS_CA: '/nonexistent/ca.pem' },
    says: /TEMPORAL_TLS_CA: \/nonexistent\/ca.pem does not exist/,
  },
  {
    name: 'codec server: a key that is not base64',
    entry: 'codec/main.ts',
    env: { FLXPOINT_ENCRYPTION_KEYS: 'k1:not*base64', CODEC_AUTH_TOKEN: SECRET },
    says: /FLXPOINT_ENCRYPTION_KEYS: key "k1" is not valid base64/,
  },
  {
    name: 'CLI: a key of the wrong length',
    entry: 'client/cli.ts',
    args: ['frs', 'list'],
    env: { TEMPORAL_ADDRESS: '127.0.0.1:9', FLXPOINT_ENCRYPTION_KEYS: 'k1:c2hvcnQ=' },
    says: /FLXPOINT_ENCRYPTION_KEYS: key "k1" is 5 bytes long/,
  },
  {
    name: 'CLI: a TLS CA that does not exist',
    entry: 'client/cli.ts',
    args: ['frs', 'list'],
    env: { TEMPORAL_ADDRESS: '127.0.0.1:9', TEMPORAL_TLS_CA: '/nonexistent/ca.pem' },
    says: /TEMPORAL_TLS_CA: \/nonexistent\/ca.pem does not exist/,
  },
  {
    name: 'schedule Job: a TLS CA that does not exist',
    entry: 'client/setup-schedules.ts',
    env: {
      TEMPORAL_ADDRESS: '127.0.0.1:9',
      FLXPOINT_SOURCES: 'main:1001',
      TEMPORAL_TLS_CA: '/nonexistent/ca.pem',
    },
    says: /TEMPORAL_TLS_CA: \/nonexistent\/ca.pem does not exist/,
  },
];

describe('configuration errors exit 2 before any work', () => {
  it.each(CASES)(
    '$name',
    async (c) => {
      const { code, out } = await run(c.entry, c.args ?? [], c.env);
      expect(out).toMatch(c.says);
      expect(code, out).toBe(2);
      expect(out).not.toMatch(/connect|ECONNREFUSED|bundl(ed|ing workflow)|worker started|listening/i);
      expect(out).not.toContain(SECRET);
    },
    120_000,
  );
});
