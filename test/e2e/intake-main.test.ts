import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { inject, describe, expect, it } from 'vitest';
import { ConfigError } from '../../worker/config';
import { runIntake } from '../../intake/main';

// The intake process: configuration fails fast with every problem listed; a real process starts,
// answers, and exits 0 on SIGTERM.

const ROOT = join(__dirname, '../..');

describe('intake process', () => {
  it('lists every configuration problem at once', async () => {
    const err = await runIntake({
      INTAKE_PORT: 'eighty',
      INTAKE_SOURCE_IDS: '1,two',
      FLXPOINT_ENCRYPTION_KEYS: 'no-id-prefix',
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    const problems = (err as ConfigError).problems.join('\n');
    expect(problems).toMatch(/INTAKE_PORT/);
    expect(problems).toMatch(/INTAKE_AUTH_TOKENS:? is not set/);
    expect(problems).toMatch(/INTAKE_SOURCE_IDS/);
    expect(problems).toMatch(/FLXPOINT_ENCRYPTION_KEYS/);
    // It needs no Flxpoint settings at all.
    expect(problems).not.toMatch(/FLXPOINT_SOURCES|FLXPOINT_BASE_URL|FLXPOINT_TOKEN/);
  });

  it('starts as a process, answers /healthz, and exits 0 on SIGTERM', async () => {
    // node itself (tsx as a loader), so SIGTERM reaches the intake as it does `node dist/intake/main.js`.
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'intake/main.ts')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        TEMPORAL_ADDRESS: inject('temporalAddress'),
        INTAKE_PORT: '0',
        INTAKE_HOST: '127.0.0.1',
        INTAKE_AUTH_TOKENS: 'process-test-token-0123456789',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`intake did not start: ${out} ${err}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /"url":"(http:[^"]+)"/.exec(out);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      void exited.then((code) => reject(new Error(`intake exited ${code}: ${err}`)));
    });
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });
});
