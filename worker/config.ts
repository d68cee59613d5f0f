import { readFileSync } from 'node:fs';
import { msToNumber } from '@temporalio/common';
import { z } from 'zod';
import { DEFAULT_PIPELINE_TASK_QUEUE } from '../common/task-queues';

// All configuration comes through this one function: environment (and an optional JSON file named by
// FLXPOINT_CONFIG_FILE) in, a validated object out, with every problem listed at once. Nothing else in
// the code base reads process.env for settings.

const duration = (what: string) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    try {
      const ms = typeof v === 'number' ? v : msToNumber(v as Parameters<typeof msToNumber>[0]);
      if (!(ms > 0)) throw new Error('not positive');
      return ms;
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: `${what}: "${v}" is not a duration; use e.g. "60s", "5m", "7 days" or milliseconds`,
      });
      return z.NEVER;
    }
  });

const sourceKey = z
  .string()
  .regex(
    /^[a-z0-9][a-z0-9-]{0,39}$/,
    'source key: lowercase letters, digits and dashes, at most 40 characters',
  );

export const SourceConfigSchema = z.object({
  key: sourceKey,
  sourceId: z.coerce.number().int().positive('sourceId must be a positive integer (the Flxpoint source id)'),
  /** The Source token. Secret: only ever passed to the HTTP client, never logged or put into histories. */
  token: z
    .string({ error: 'token is missing: set FLXPOINT_TOKEN_<KEY> (or "token" in the config file)' })
    .min(1, 'token is empty: set FLXPOINT_TOKEN_<KEY> (or "token" in the config file)'),
  pollInterval: duration('pollInterval').default(60_000),
  pageSize: z.coerce.number().int().min(1).max(500).default(100),
  /** The source token's request budget, enforced by Temporal across all worker replicas. */
  requestsPerSecond: z.coerce.number().positive().max(1000).default(2),
});
export type SourceConfig = z.output<typeof SourceConfigSchema>;

const ConfigSchema = z.object({
  temporal: z.object({
    address: z.string().min(1).default('127.0.0.1:7233'),
    namespace: z.string().min(1).default('default'),
    /** Workflows, handler and commit run here; each source's API queue is `<taskQueue>/api/<key>`. */
    taskQueue: z.string().min(1).default(DEFAULT_PIPELINE_TASK_QUEUE),
    apiKey: z.string().optional(),
    tls: z
      .object({
        certPath: z.string().optional(),
        keyPath: z.string().optional(),
        caPath: z.string().optional(),
      })
      .optional(),
  }),
  flxpoint: z.object({
    baseUrl: z.url('FLXPOINT_BASE_URL must be an absolute URL such as https://api.flxpoint.com'),
    listDialect: z.enum(['guide', 'reference']).default('guide'),
    acknowledgeMethod: z.enum(['POST', 'PATCH']).default('POST'),
    requestTimeout: duration('FLXPOINT_REQUEST_TIMEOUT').default(30_000),
  }),
  sources: z
    .array(SourceConfigSchema)
    .min(1, 'no sources configured: set FLXPOINT_SOURCES (e.g. "main:1001")'),
  handler: z
    .string()
    .regex(/^(accept-all|http:.+|module:.+)$/, 'FR_HANDLER must be accept-all, http:<url> or module:<path>')
    .default('accept-all'),
  store: z
    .string()
    .regex(/^(embedded(:.*)?|postgres(ql)?:\/\/.+)$/, 'STORE_URL must be embedded[:<dir>] or postgres://...')
    .default('embedded:.data/store'),
  fr: z.object({
    shipmentDeadline: duration('FR_SHIPMENT_DEADLINE').default(7 * 24 * 3600_000),
    /** One attempt of the handler (your WMS/ERP) or the local commit; a timed-out attempt is retried. */
    handlerTimeout: duration('FR_HANDLER_TIMEOUT').default(120_000),
    maxFrsPerPoll: z.coerce.number().int().min(1).max(10_000).default(1000),
  }),
  encryption: z.object({ keys: z.string().optional(), activeKeyId: z.string().optional() }),
  http: z.object({
    /** /healthz (liveness) and /readyz (readiness) for Kubernetes probes. 0 = off. */
    healthPort: z.coerce.number().int().min(0).max(65535).default(8080),
    /** Prometheus /metrics of the SDK runtime and the project. 0 = off. */
    metricsPort: z.coerce.number().int().min(0).max(65535).default(9464),
    /** Bind address of both. */
    host: z.string().min(1).default('0.0.0.0'),
  }),
  /** On SIGTERM, how long in-flight activities may finish before they are cancelled (and retried
   * elsewhere). Keep it below the pod's terminationGracePeriodSeconds. */
  shutdownGrace: duration('WORKER_SHUTDOWN_GRACE').default(60_000),
  /** Create/update the poll schedules when the worker starts (dev); Kubernetes uses a Job instead. */
  ensureSchedulesOnStart: z
    .union([z.boolean(), z.enum(['true', 'false', '1', '0'])])
    .transform((v) => v === true || v === 'true' || v === '1')
    .default(false),
  logLevel: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info'),
});
export type AppConfig = z.output<typeof ConfigSchema>;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type Env = Record<string, string | undefined>;

/** `FLXPOINT_SOURCES=main:1001,east:1002` with tokens in `FLXPOINT_TOKEN_MAIN`, `FLXPOINT_TOKEN_EAST`. */
function sourcesFromEnv(env: Env, problems: string[]): unknown[] {
  const spec = env.FLXPOINT_SOURCES?.trim();
  if (!spec) return [];
  return spec.split(',').map((part) => {
    const [key = '', sourceId = ''] = part.trim().split(':');
    const tokenVar = `FLXPOINT_TOKEN_${key.toUpperCase().replace(/-/g, '_')}`;
    if (!sourceId) problems.push(`FLXPOINT_SOURCES: "${part}" must look like <key>:<sourceId>`);
    return {
      key,
      sourceId,
      token: env[tokenVar] ?? env.FLXPOINT_TOKEN ?? '',
      pollInterval: env.FLXPOINT_POLL_INTERVAL,
      pageSize: env.FLXPOINT_PAGE_SIZE,
      requestsPerSecond: env.FLXPOINT_REQUESTS_PER_SECOND,
    };
  });
}

function fileConfig(path: string | undefined, problems: string[]): Record<string, unknown> {
  if (!path) return {};
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
  } catch (err) {
    problems.push(`FLXPOINT_CONFIG_FILE ${path}: ${(err as Error).message}`);
    return {};
  }
}

const dropUndefined = <T extends Record<string, unknown>>(o: T): Partial<T> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== '')) as Partial<T>;

/**
 * Loads and validates the configuration. Environment variables win over the JSON file; a source listed
 * in both is merged by key. Throws ConfigError listing every problem (tokens are never echoed).
 */
export function loadConfig(env: Env = process.env): AppConfig {
  const problems: string[] = [];
  const file = fileConfig(env.FLXPOINT_CONFIG_FILE, problems);
  const fileSources = Array.isArray(file.sources) ? (file.sources as Record<string, unknown>[]) : [];
  const envSources = sourcesFromEnv(env, problems) as Record<string, unknown>[];
  const byKey = new Map<string, Record<string, unknown>>();
  for (const s of [...fileSources, ...envSources]) {
    const key = String(s.key ?? '');
    byKey.set(key, { ...byKey.get(key), ...dropUndefined(s) });
  }
  const f = (k: string) => (file[k] ?? {}) as Record<string, unknown>;
  const raw = {
    temporal: {
      ...f('temporal'),
      ...dropUndefined({
        address: env.TEMPORAL_ADDRESS,
        namespace: env.TEMPORAL_NAMESPACE,
        taskQueue: env.TEMPORAL_TASK_QUEUE,
        apiKey: env.TEMPORAL_API_KEY,
      }),
      ...(env.TEMPORAL_TLS_CERT || env.TEMPORAL_TLS_KEY || env.TEMPORAL_TLS_CA
        ? {
            tls: dropUndefined({
              certPath: env.TEMPORAL_TLS_CERT,
              keyPath: env.TEMPORAL_TLS_KEY,
              caPath: env.TEMPORAL_TLS_CA,
            }),
          }
        : {}),
    },
    flxpoint: {
      ...f('flxpoint'),
      ...dropUndefined({
        baseUrl: env.FLXPOINT_BASE_URL,
        listDialect: env.FLXPOINT_LIST_DIALECT,
        acknowledgeMethod: env.FLXPOINT_ACK_METHOD,
        requestTimeout: env.FLXPOINT_REQUEST_TIMEOUT,
      }),
    },
    sources: [...byKey.values()],
    handler: env.FR_HANDLER || file.handler,
    store: env.STORE_URL || file.store,
    fr: {
      ...f('fr'),
      ...dropUndefined({
        shipmentDeadline: env.FR_SHIPMENT_DEADLINE,
        handlerTimeout: env.FR_HANDLER_TIMEOUT,
        maxFrsPerPoll: env.FR_MAX_PER_POLL,
      }),
    },
    encryption: {
      ...f('encryption'),
      ...dropUndefined({
        keys: env.FLXPOINT_ENCRYPTION_KEYS,
        activeKeyId: env.FLXPOINT_ENCRYPTION_ACTIVE_KEY,
      }),
    },
    http: {
      ...f('http'),
      ...dropUndefined({
        healthPort: env.WORKER_HEALTH_PORT,
        metricsPort: env.WORKER_METRICS_PORT,
        host: env.WORKER_HTTP_HOST,
      }),
    },
    ensureSchedulesOnStart: env.ENSURE_SCHEDULES_ON_START || file.ensureSchedulesOnStart,
    shutdownGrace: env.WORKER_SHUTDOWN_GRACE || file.shutdownGrace,
    logLevel: env.LOG_LEVEL || file.logLevel,
  };
  const parsed = ConfigSchema.safeParse(raw);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const path = issue.path.join('.');
      // Never echo a token back, even when it is the invalid value.
      problems.push(path ? `${path}: ${issue.message}` : issue.message);
    }
  }
  const keys = (parsed.data?.sources ?? []).map((s) => s.key);
  const dupes = keys.filter((k, i) => keys.indexOf(k) !== i);
  if (dupes.length) problems.push(`sources: duplicate key(s) ${[...new Set(dupes)].join(', ')}`);
  if (problems.length || !parsed.success) throw new ConfigError(problems);
  return parsed.data;
}

/**
 * For process entry points (worker, schedule Job): the config, or every problem on stderr and exit code 2,
 * the code Kubernetes and the tests read as "fix the configuration", distinct from a runtime failure (1).
 */
export function loadConfigOrExit(env: Env = process.env): AppConfig {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    console.error('See README.md "Configuration" for every variable.');
    process.exit(2);
  }
}

/** A copy safe to log: tokens and keys replaced. */
export function redactConfig(config: AppConfig): unknown {
  return {
    ...config,
    temporal: { ...config.temporal, apiKey: config.temporal.apiKey ? '[redacted]' : undefined },
    sources: config.sources.map((s) => ({ ...s, token: '[redacted]' })),
    encryption: {
      keys: config.encryption.keys ? '[redacted]' : undefined,
      activeKeyId: config.encryption.activeKeyId,
    },
    store: config.store.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:[redacted]@'),
  };
}
