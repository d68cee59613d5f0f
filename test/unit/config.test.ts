import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, type ConfigSlice, type Env } from '../../common/config';
import { loadIntakeConfig } from '../../intake/config';
import { chooseWorkflowCode } from '../../worker/workflow-code';

// The one configuration, each process reading its slice. Every test hands in its env object (and a
// file of its own): nothing here touches process.env.

const base = {
  FLXPOINT_BASE_URL: 'http://127.0.0.1:8787',
  FLXPOINT_SOURCES: 'main:1001',
  FLXPOINT_TOKEN_MAIN: 'secret-token-main',
};
const KEY = Buffer.alloc(32, 7).toString('base64');

const dir = mkdtempSync(join(tmpdir(), 'cfg-'));
let files = 0;
function configFile(content: unknown): string {
  const file = join(dir, `config-${++files}.json`);
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

function problemsOf(slice: ConfigSlice, env: Env): readonly string[] {
  try {
    loadConfig(slice, env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).problems;
  }
  throw new Error(`expected a ConfigError from the ${slice} slice`);
}

describe('worker slice', () => {
  it('fills the documented defaults', () => {
    const c = loadConfig('worker', base);
    expect(c.sources).toEqual([
      {
        key: 'main',
        sourceId: 1001,
        token: 'secret-token-main',
        pollInterval: 60_000,
        pageSize: 100,
        requestsPerSecond: 2,
        inventoryInterval: 15 * 60_000,
        inventoryDisappeared: 'zero',
        inventoryCreateUnknown: false,
      },
    ]);
    expect(c.temporal).toMatchObject({ address: '127.0.0.1:7233', namespace: 'default' });
    expect(c.flxpoint).toMatchObject({
      listDialect: 'reference',
      acknowledgeMethod: 'PATCH',
      requestTimeout: 30_000,
    });
    expect(c.handler).toBe('accept-all');
    expect(c.store).toBe('embedded:.data/store');
    expect(c.fr.shipmentDeadline).toBe(7 * 24 * 3600_000);
    expect(c.http).toEqual({ healthPort: 8080, metricsPort: 9464, host: '127.0.0.1' });
    expect(c.workflowBundlePath).toBeUndefined();
  });

  it('reads durations in words and several sources with their own tokens', () => {
    const c = loadConfig('worker', {
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

  it('lists every problem at once, each naming its variable, and never echoes a token', () => {
    const problems = problemsOf('worker', {
      FLXPOINT_BASE_URL: 'not a url',
      FLXPOINT_SOURCES: 'Bad Key:abc,ok:12,main:1001,main:1001',
      FLXPOINT_TOKEN: 'secret-token-any',
      FLXPOINT_POLL_INTERVAL: 'soonish',
      FLXPOINT_LIST_DIALECT: 'graphql',
      STORE_URL: 'mysql://x',
      WORKER_METRICS_PORT: '99999',
    });
    const text = problems.join('\n');
    expect(text).toContain('FLXPOINT_BASE_URL: must be an absolute URL');
    expect(text).toContain('FLXPOINT_SOURCES (source "Bad Key" key): source key');
    expect(text).toContain(
      'FLXPOINT_SOURCES (source "Bad Key" sourceId): sourceId must be a positive integer',
    );
    expect(text).toContain('FLXPOINT_POLL_INTERVAL (source "ok" pollInterval): "soonish" is not a duration');
    expect(text).toContain('FLXPOINT_LIST_DIALECT:');
    expect(text).toContain('STORE_URL: must be embedded');
    expect(text).toContain('WORKER_METRICS_PORT: is not a TCP port');
    expect(text).toContain('FLXPOINT_SOURCES: source "main" is listed twice');
    expect(text).not.toContain('secret-token-any');
  });

  it('says what to set when a token or the sources are missing', () => {
    expect(problemsOf('worker', { FLXPOINT_BASE_URL: base.FLXPOINT_BASE_URL })).toEqual([
      'FLXPOINT_SOURCES: no sources configured: set FLXPOINT_SOURCES (e.g. "main:1001")',
    ]);
    expect(problemsOf('worker', { ...base, FLXPOINT_TOKEN_MAIN: '' })).toEqual([
      expect.stringMatching(
        /^FLXPOINT_TOKEN_MAIN \(source "main" token\): is missing: set it, or FLXPOINT_TOKEN/,
      ),
    ]);
    expect(problemsOf('worker', { FLXPOINT_SOURCES: 'main:1001', FLXPOINT_TOKEN_MAIN: 't' })).toEqual([
      expect.stringMatching(/^FLXPOINT_BASE_URL: /),
    ]);
  });

  it('FLXPOINT_MODE: live by default, shadow on request, anything else refused with what to set', () => {
    expect(loadConfig('worker', base).flxpoint.mode).toBe('live');
    expect(loadConfig('worker', { ...base, FLXPOINT_MODE: 'shadow' }).flxpoint.mode).toBe('shadow');
    expect(problemsOf('worker', { ...base, FLXPOINT_MODE: 'dry-run' })).toEqual([
      expect.stringMatching(
        /^FLXPOINT_MODE: must be "live" .* or "shadow" .*docs\/operations\.md "Shadow mode"/,
      ),
    ]);
  });

  it('inventory: a stock source per source, interval and disappeared policy; bad values name the setting', () => {
    const c = loadConfig('worker', {
      ...base,
      INVENTORY_STOCK_SOURCE_MAIN: 'file:/data/stock.csv',
      INVENTORY_SYNC_INTERVAL: '5m',
      INVENTORY_DISAPPEARED: 'leave',
      INVENTORY_CREATE_UNKNOWN: 'true',
    });
    expect(c.sources[0]).toMatchObject({
      stockSource: 'file:/data/stock.csv',
      inventoryInterval: 300_000,
      inventoryDisappeared: 'leave',
      inventoryCreateUnknown: true,
    });
    expect(
      problemsOf('worker', {
        ...base,
        INVENTORY_STOCK_SOURCE_MAIN: 'ftp://erp/stock.csv',
        INVENTORY_SYNC_INTERVAL: 'often',
        INVENTORY_DISAPPEARED: 'delete',
        INVENTORY_CREATE_UNKNOWN: 'sometimes',
      }),
    ).toEqual([
      expect.stringMatching(
        /^INVENTORY_STOCK_SOURCE_MAIN \(source "main" stockSource\): must be file:<path>.csv\|.jsonl, http:<url> or module:<path>/,
      ),
      expect.stringMatching(
        /^INVENTORY_SYNC_INTERVAL \(source "main" inventoryInterval\): "often" is not a duration/,
      ),
      expect.stringMatching(/^INVENTORY_DISAPPEARED \(source "main" inventoryDisappeared\): must be "zero"/),
      expect.stringMatching(
        /^INVENTORY_CREATE_UNKNOWN \(source "main" inventoryCreateUnknown\): must be true or false/,
      ),
    ]);
    // The schedule Job sees which sources have a stock source, from the environment or the file.
    const file = configFile({ sources: [{ key: 'east', sourceId: 1002, stockSource: 'module:./stock' }] });
    const s = loadConfig('schedules', { ...base, FLXPOINT_CONFIG_FILE: file });
    expect(s.sources.map((x) => [x.key, x.stockSource])).toEqual([
      ['east', 'module:./stock'],
      ['main', undefined],
    ]);
  });

  it('merges a JSON config file with the environment, environment winning', () => {
    const file = configFile({
      flxpoint: { baseUrl: 'https://api.flxpoint.com', acknowledgeMethod: 'PATCH' },
      sources: [
        { key: 'main', sourceId: 1001, token: 'from-file', pageSize: 50 },
        { key: 'east', sourceId: 1002 },
      ],
      handler: 'http:http://wms.local/fr',
      temporal: { namespace: 'from-file', address: 'file:7233' },
    });
    const c = loadConfig('worker', {
      FLXPOINT_CONFIG_FILE: file,
      FLXPOINT_TOKEN_MAIN: 'from-env',
      // A source only in the file still takes its token from the environment (secrets stay out of files).
      FLXPOINT_TOKEN_EAST: 'east-from-env',
      FLXPOINT_SOURCES: 'main:1001',
      TEMPORAL_ADDRESS: 'env:7233',
    });
    expect(c.flxpoint.baseUrl).toBe('https://api.flxpoint.com');
    expect(c.flxpoint.acknowledgeMethod).toBe('PATCH');
    expect(c.sources).toEqual([
      expect.objectContaining({ key: 'main', token: 'from-env', pageSize: 50 }),
      expect.objectContaining({ key: 'east', token: 'east-from-env', sourceId: 1002 }),
    ]);
    expect(c.handler).toBe('http:http://wms.local/fr');
    expect(c.temporal).toMatchObject({ address: 'env:7233', namespace: 'from-file' });
  });

  it('names the file and the path for a bad value that came from the file', () => {
    const file = configFile({ flxpoint: { listDialect: 'graphql' }, http: { healthPort: 'x' } });
    const problems = problemsOf('worker', { ...base, FLXPOINT_CONFIG_FILE: file });
    expect(problems).toEqual([
      expect.stringMatching(/^FLXPOINT_CONFIG_FILE "flxpoint.listDialect": /),
      expect.stringMatching(/^FLXPOINT_CONFIG_FILE "http.healthPort": is not a TCP port/),
    ]);
  });

  it('reports a missing or malformed file', () => {
    expect(problemsOf('temporal', { FLXPOINT_CONFIG_FILE: join(dir, 'missing.json') })).toEqual([
      expect.stringMatching(/^FLXPOINT_CONFIG_FILE .*missing\.json: ENOENT/),
    ]);
    expect(problemsOf('temporal', { FLXPOINT_CONFIG_FILE: configFile('[1,2]') })).toEqual([
      expect.stringMatching(/must hold a JSON object/),
    ]);
    expect(problemsOf('temporal', { FLXPOINT_CONFIG_FILE: configFile('{nope') })).toEqual([
      expect.stringMatching(/^FLXPOINT_CONFIG_FILE .*JSON/),
    ]);
  });
});

describe('slices: each process validates only what it reads', () => {
  it('temporal (the CLI): no Flxpoint URL, sources or tokens, and their problems are not its own', () => {
    const c = loadConfig('temporal', {
      TEMPORAL_ADDRESS: 'temporal:7233',
      TEMPORAL_NAMESPACE: 'prod',
      FR_HANDLER: 'bogus',
      FLXPOINT_SOURCES: 'x',
    });
    expect(c).toEqual({
      temporal: { address: 'temporal:7233', namespace: 'prod', taskQueue: 'flxpoint-pipeline' },
      encryption: {},
      logLevel: 'info',
    });
  });

  it('FLXPOINT_REPOLL_AFTER takes a duration or off; FLXPOINT_LIST_FED a flag', () => {
    const env = { FLXPOINT_SOURCES: 'main:1001' };
    expect(loadConfig('schedules', { ...env, FLXPOINT_REPOLL_AFTER: 'off' }).flxpoint.repollAfter).toBe(0);
    expect(loadConfig('schedules', { ...env, FLXPOINT_REPOLL_AFTER: '15s' }).flxpoint.repollAfter).toBe(
      15_000,
    );
    expect(() => loadConfig('schedules', { ...env, FLXPOINT_REPOLL_AFTER: 'soon' })).toThrow(
      /FLXPOINT_REPOLL_AFTER/,
    );
  });

  it('schedules (the setup Job): sources and polling without any token or URL, and never holds a token', () => {
    const c = loadConfig('schedules', {
      FLXPOINT_SOURCES: 'main:1001,east:1002',
      FLXPOINT_TOKEN_MAIN: 'secret-token-main',
      FLXPOINT_POLL_INTERVAL: '2m',
      FLXPOINT_LIST_DIALECT: 'reference',
      FR_MAX_PER_POLL: '50',
    });
    expect(c.sources.map((s) => [s.key, s.sourceId, s.pollInterval])).toEqual([
      ['main', 1001, 120_000],
      ['east', 1002, 120_000],
    ]);
    expect(c.flxpoint).toEqual({ listDialect: 'reference', requestTimeout: 30_000, repollAfter: 10_000 });
    expect(c.fr.maxFrsPerPoll).toBe(50);
    expect(JSON.stringify(c)).not.toContain('secret-token-main');
    expect(problemsOf('schedules', {})).toEqual([expect.stringMatching(/^FLXPOINT_SOURCES: no sources/)]);
  });

  it('a bad key ring is a configuration problem in every slice that reads it, without key material', () => {
    const bad = { FLXPOINT_ENCRYPTION_KEYS: `k1:${KEY.slice(0, 20)}`, FLXPOINT_ENCRYPTION_ACTIVE_KEY: 'k9' };
    for (const slice of ['temporal', 'schedules', 'worker', 'intake', 'codec'] as const) {
      const problems = problemsOf(slice, { ...base, INTAKE_AUTH_TOKENS: 'x'.repeat(16), ...bad });
      expect(problems, slice).toEqual([
        expect.stringMatching(/^FLXPOINT_ENCRYPTION_KEYS: key "k1" is \d+ bytes long/),
        expect.stringMatching(/^FLXPOINT_ENCRYPTION_KEYS: active key id "k9" is not in the key ring/),
      ]);
      expect(problems.join('\n')).not.toContain(KEY.slice(0, 12));
    }
  });

  it('intake: its own settings plus Temporal, from the environment or the file', () => {
    const file = configFile({
      temporal: { address: 'temporal.prod:7233' },
      intake: {
        port: 9100,
        authTokens: ['a-long-enough-token-1', 'a-long-enough-token-2'],
        sourceIds: [1001],
      },
      encryption: { keys: `k1:${KEY}` },
    });
    const c = loadIntakeConfig({ FLXPOINT_CONFIG_FILE: file, INTAKE_HOST: '0.0.0.0' });
    expect(c).toMatchObject({
      port: 9100,
      host: '0.0.0.0',
      authTokens: [{ token: 'a-long-enough-token-1' }, { token: 'a-long-enough-token-2' }],
      sourceIds: [1001],
      app: { temporal: { address: 'temporal.prod:7233' }, encryption: { keys: `k1:${KEY}` } },
    });
    const fromEnv = loadIntakeConfig({
      FLXPOINT_CONFIG_FILE: file,
      INTAKE_AUTH_TOKENS: 'env-token-long-enough',
      INTAKE_SOURCE_IDS: '7, 8',
    });
    expect(fromEnv).toMatchObject({ authTokens: [{ token: 'env-token-long-enough' }], sourceIds: [7, 8] });
  });

  it('intake: a token may be limited to its sources, in the environment or the file', () => {
    const env = loadIntakeConfig({
      INTAKE_AUTH_TOKENS: 'warehouse-a-token-0123, warehouse-b-token-0123:1001+1002',
    });
    expect(env.authTokens).toEqual([
      { token: 'warehouse-a-token-0123' },
      { token: 'warehouse-b-token-0123', sourceIds: [1001, 1002] },
    ]);
    const file = configFile({
      intake: {
        authTokens: ['plain-token-long-enough', { token: 'scoped-token-long-enough', sourceIds: [7] }],
      },
    });
    expect(loadIntakeConfig({ FLXPOINT_CONFIG_FILE: file }).authTokens).toEqual([
      { token: 'plain-token-long-enough' },
      { token: 'scoped-token-long-enough', sourceIds: [7] },
    ]);
    const problems = problemsOf('intake', {
      INTAKE_AUTH_TOKENS: 'secret-scoped-token-0123:1001+x, short:5, another-secret-token-0123:',
    });
    expect(problems).toEqual([
      'INTAKE_AUTH_TOKENS: a token\'s source list must be positive source ids joined by "+" (token:1001+1002)',
      'INTAKE_AUTH_TOKENS: every token must be at least 16 characters; use long random values',
    ]);
    expect(problems.join('\n')).not.toMatch(/secret/);
  });

  it('intake: every problem at once, tokens never echoed', () => {
    expect(
      problemsOf('intake', {
        INTAKE_PORT: 'http',
        INTAKE_AUTH_TOKENS: 'short-one',
        INTAKE_SOURCE_IDS: '1,x',
      }),
    ).toEqual([
      'INTAKE_PORT: is not a TCP port (0-65535)',
      'INTAKE_AUTH_TOKENS: every token must be at least 16 characters; use long random values',
      'INTAKE_SOURCE_IDS: must be positive integers (source ids), comma-separated',
    ]);
    expect(problemsOf('intake', {})).toEqual([expect.stringMatching(/^INTAKE_AUTH_TOKENS: is not set/)]);
  });
});

describe('WORKFLOW_BUNDLE_PATH: an explicit choice, checked', () => {
  const plain = configFile('// plain bundle').replace(/$/, '');
  const encrypted = join(dir, 'workflow-bundle.encrypted.js');
  writeFileSync(encrypted, '// encrypted bundle');
  const encryption = { FLXPOINT_ENCRYPTION_KEYS: `k1:${KEY}` };
  const fromSource = () => 'workflows/index.ts';

  it('is used as given when it exists and matches the encryption setting', () => {
    const c = loadConfig('worker', { ...base, WORKFLOW_BUNDLE_PATH: plain });
    expect(chooseWorkflowCode(c, [dir], fromSource).code).toEqual({ workflowBundle: { codePath: plain } });
    const e = loadConfig('worker', { ...base, ...encryption, WORKFLOW_BUNDLE_PATH: encrypted });
    expect(chooseWorkflowCode(e, [], fromSource).code).toEqual({ workflowBundle: { codePath: encrypted } });
  });

  it('refuses a missing file, and a plain bundle when payloads are encrypted', () => {
    expect(problemsOf('worker', { ...base, WORKFLOW_BUNDLE_PATH: join(dir, 'nope.js') })).toEqual([
      expect.stringMatching(/^WORKFLOW_BUNDLE_PATH: .*nope\.js does not exist/),
    ]);
    expect(problemsOf('worker', { ...base, ...encryption, WORKFLOW_BUNDLE_PATH: plain })).toEqual([
      expect.stringMatching(/^WORKFLOW_BUNDLE_PATH: .* is not an encrypting bundle/),
    ]);
  });

  it('without it: the built bundle for the encryption setting, else bundling from source', () => {
    const e = loadConfig('worker', { ...base, ...encryption });
    expect(chooseWorkflowCode(e, [join(dir, 'none'), dir], fromSource).source).toBe(encrypted);
    const p = loadConfig('worker', base);
    expect(chooseWorkflowCode(p, [dir], fromSource).code).toEqual({ workflowsPath: 'workflows/index.ts' });
  });
});
