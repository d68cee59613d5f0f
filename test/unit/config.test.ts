import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, redactConfig } from '../../worker/config';

const base = {
  FLXPOINT_BASE_URL: 'http://127.0.0.1:8787',
  FLXPOINT_SOURCES: 'main:1001',
  FLXPOINT_TOKEN_MAIN: 'secret-token-main',
};

describe('configuration', () => {
  it('fills the documented defaults', () => {
    const c = loadConfig(base);
    expect(c.sources).toEqual([
      {
        key: 'main',
        sourceId: 1001,
        token: 'secret-token-main',
        pollInterval: 60_000,
        pageSize: 100,
        requestsPerSecond: 2,
      },
    ]);
    expect(c.temporal).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default' });
    expect(c.flxpoint).toMatchObject({
      listDialect: 'guide',
      acknowledgeMethod: 'POST',
      requestTimeout: 30_000,
    });
    expect(c.handler).toBe('accept-all');
    expect(c.store).toBe('embedded:.data/store');
    expect(c.fr.shipmentDeadline).toBe(7 * 24 * 3600_000);
  });

  it('reads durations in words and several sources with their own tokens', () => {
    const c = loadConfig({
      ...base,
      FLXPOINT_SOURCES: 'main:1001, east-coast:1002',
      FLXPOINT_TOKEN_EAST_COAST: 'tok-east',
      FLXPOINT_POLL_INTERVAL: '2m',
      FR_SHIPMENT_DEADLINE: '3 days',
    });
    expect(c.sources.map((s) => [s.key, s.token, s.pollInterval])).toEqual([
      ['main', 'secret-token-main', 120_000],
      ['east-coast', 'tok-east', 120_000],
    ]);
    expect(c.fr.shipmentDeadline).toBe(3 * 24 * 3600_000);
  });

  it('lists every problem at once and never echoes a token', () => {
    let err: unknown;
    try {
      loadConfig({
        FLXPOINT_BASE_URL: 'not a url',
        FLXPOINT_SOURCES: 'Bad Key:abc,ok:12',
        FLXPOINT_TOKEN_OK: 'secret-token-ok',
        FLXPOINT_POLL_INTERVAL: 'soonish',
        FLXPOINT_LIST_DIALECT: 'graphql',
        STORE_URL: 'mysql://x',
      });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    const msg = (err as ConfigError).message;
    expect(msg).toContain('flxpoint.baseUrl');
    expect(msg).toContain('source key');
    expect(msg).toContain('sourceId');
    expect(msg).toContain('"soonish" is not a duration');
    expect(msg).toContain('flxpoint.listDialect');
    expect(msg).toContain('STORE_URL');
    expect(msg).not.toContain('secret-token-ok');
    expect((err as ConfigError).problems.length).toBeGreaterThanOrEqual(6);
  });

  it('says what to set when a token or the sources are missing', () => {
    expect(() => loadConfig({ FLXPOINT_BASE_URL: base.FLXPOINT_BASE_URL })).toThrow(/FLXPOINT_SOURCES/);
    expect(() => loadConfig({ ...base, FLXPOINT_TOKEN_MAIN: '' })).toThrow(/FLXPOINT_TOKEN_<KEY>/);
  });

  it('merges a JSON config file with the environment, environment winning', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        flxpoint: { baseUrl: 'https://api.flxpoint.com', acknowledgeMethod: 'PATCH' },
        sources: [{ key: 'main', sourceId: 1001, token: 'from-file', pageSize: 50 }],
        handler: 'http:http://wms.local/fr',
      }),
    );
    const c = loadConfig({
      FLXPOINT_CONFIG_FILE: file,
      FLXPOINT_TOKEN_MAIN: 'from-env',
      FLXPOINT_SOURCES: 'main:1001',
    });
    expect(c.flxpoint.baseUrl).toBe('https://api.flxpoint.com');
    expect(c.flxpoint.acknowledgeMethod).toBe('PATCH');
    expect(c.sources[0]).toMatchObject({ token: 'from-env', pageSize: 50 });
    expect(c.handler).toBe('http:http://wms.local/fr');
    expect(() => loadConfig({ FLXPOINT_CONFIG_FILE: join(dir, 'missing.json') })).toThrow(/missing\.json/);
  });

  it('redacts secrets for logging', () => {
    const c = loadConfig({
      ...base,
      STORE_URL: 'postgres://app:pw123@db:5432/flx',
      TEMPORAL_API_KEY: 'cloud-key',
    });
    const text = JSON.stringify(redactConfig(c));
    for (const secret of ['secret-token-main', 'pw123', 'cloud-key']) expect(text).not.toContain(secret);
  });
});
