import { msToNumber } from '@temporalio/common';
import { z } from 'zod';
import { DEFAULT_PIPELINE_TASK_QUEUE } from '../task-queues';

// The schema of every setting, grouped into the slice each process reads. A process validates its own
// slice only: the schedule Job never sees a Flxpoint token, the intake never needs FLXPOINT_SOURCES.
// Messages say what is wrong and what to write instead; the loader prefixes the variable's name.

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    const ms = typeof v === 'number' ? v : msToNumber(v as Parameters<typeof msToNumber>[0]);
    if (!(ms > 0)) throw new Error('not positive');
    return ms;
  } catch {
    ctx.addIssue({
      code: 'custom',
      message: `"${v}" is not a duration; use e.g. "60s", "5m", "7 days" or milliseconds`,
    });
    return z.NEVER;
  }
});

const port = (min: 0 | 1) =>
  z.coerce
    .number({ error: `is not a TCP port (${min}-65535)` })
    .int(`is not a TCP port (${min}-65535)`)
    .min(min, `is not a TCP port (${min}-65535)`)
    .max(65535, `is not a TCP port (${min}-65535)`);

const flag = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0'])], { error: 'must be true or false' })
  .transform((v) => v === true || v === 'true' || v === '1');

/** `"a, b"` from the environment or `["a","b"]` from the file: trimmed, empty entries dropped. */
const list = z
  .union([z.string(), z.array(z.string())], { error: 'must be a comma-separated list' })
  .optional()
  .transform((v) =>
    (typeof v === 'string' ? v.split(',') : (v ?? [])).map((s) => s.trim()).filter((s) => s !== ''),
  );

// ---- every process: the Temporal connection and the payload encryption -------------------------------------

const temporal = z
  .object({
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
  })
  .prefault({});

/** The key ring itself is checked by the loader (codec/keyring), which names problems without key material. */
const encryption = z.object({ keys: z.string().optional(), activeKeyId: z.string().optional() }).prefault({});

const logLevel = z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal']).default('info');

const connection = { temporal, encryption, logLevel };

// ---- sources and polling: the schedule Job, the CLI's `schedules create|update`, the worker -----------------

/** A source key: part of the schedule id and of the source's task queue name. */
export const SOURCE_KEY_PATTERN = /^[a-z0-9][a-z0-9-]{0,39}$/;
const SOURCE_ID = 'sourceId must be a positive integer (the Flxpoint source id)';
const sourceSettings = {
  key: z
    .string()
    .regex(SOURCE_KEY_PATTERN, 'source key: lowercase letters, digits and dashes, at most 40 characters'),
  sourceId: z.coerce.number({ error: SOURCE_ID }).int(SOURCE_ID).positive(SOURCE_ID),
  pollInterval: duration.default(60_000),
  pageSize: z.coerce.number().int().min(1).max(500).default(100),
  /** The source token's request budget, enforced by Temporal across all worker replicas. */
  requestsPerSecond: z.coerce.number().positive().max(1000).default(2),
  /**
   * Where the source's stock comes from (inventory push, docs/operations.md "Inventory sync"); no stock
   * source = no inventory sync schedule for this source. The reader itself is built by the worker.
   */
  stockSource: z
    .string()
    .trim()
    .regex(
      /^(file:.+\.(csv|jsonl|ndjson)|http:https?:\/\/.+|module:.+)$/i,
      'must be file:<path>.csv|.jsonl, http:<url> or module:<path>',
    )
    .optional(),
  /** How often the inventory sync schedule starts a delta push (default 15 minutes). */
  inventoryInterval: duration.default(15 * 60_000),
  /** A SKU that vanished from the stock source: set to 0 in Flxpoint (default) or left as it is. */
  inventoryDisappeared: z
    .enum(['zero', 'leave'], {
      error: 'must be "zero" (the default: a SKU gone from the stock source is set to 0) or "leave"',
    })
    .default('zero'),
  /**
   * A SKU Flxpoint does not know: created through POST /inventory/parents (a parent of one variant, titled
   * by its SKU) when true; only reported when false (the default: the catalog is usually managed elsewhere).
   */
  inventoryCreateUnknown: flag.default(false),
};
const NO_SOURCES = 'no sources configured: set FLXPOINT_SOURCES (e.g. "main:1001")';

const polling = {
  listDialect: z.enum(['guide', 'reference']).default('reference'),
  requestTimeout: duration.default(30_000),
  /**
   * A poll that started FRs looks again this much later (until the next scheduled poll is due), so work
   * arriving between polls waits seconds, not a whole interval. `off` = one look per scheduled poll.
   */
  repollAfter: z
    .union([z.literal('off'), duration])
    .transform((v) => (v === 'off' ? 0 : v))
    .default(10_000),
};

const fr = z
  .object({
    shipmentDeadline: duration.default(7 * 24 * 3600_000),
    /** One attempt of the handler (your WMS/ERP) or the local commit; a timed-out attempt is retried. */
    handlerTimeout: duration.default(120_000),
    maxFrsPerPoll: z.coerce.number().int().min(1).max(10_000).default(1000),
  })
  .prefault({});

const schedules = {
  ...connection,
  flxpoint: z.object(polling).prefault({}),
  sources: z.array(z.object(sourceSettings)).min(1, NO_SOURCES),
  fr,
};

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Set by the http: handler itself (handlers/http-handler.ts); configuring them would change the protocol. */
const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'accept', 'idempotency-key', 'host']);
const HEADERS_USAGE =
  'must be a JSON object of header names to values, e.g. {"Authorization":"Bearer <token>"}';

/** `{"Authorization":"Bearer …"}` (a JSON string from the environment, an object from the file). */
const handlerHeaders = z
  .unknown()
  .optional()
  .transform((v, ctx): Record<string, string> | undefined => {
    if (v === undefined || v === '') return undefined;
    let parsed: unknown = v;
    if (typeof v === 'string') {
      try {
        parsed = JSON.parse(v);
      } catch {
        // Never quote the value: it holds credentials.
        ctx.addIssue({ code: 'custom', message: `is not JSON; it ${HEADERS_USAGE}` });
        return z.NEVER;
      }
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      ctx.addIssue({ code: 'custom', message: HEADERS_USAGE });
      return z.NEVER;
    }
    const problems: string[] = [];
    for (const [name, value] of Object.entries(parsed)) {
      if (!HEADER_NAME.test(name)) problems.push(`"${name.slice(0, 40)}" is not a valid header name`);
      else if (RESERVED_HEADERS.has(name.toLowerCase()))
        problems.push(`"${name}" is set by the handler itself and cannot be configured`);
      else if (typeof value !== 'string' || /[\r\n\0]/.test(value))
        problems.push(`the value of "${name}" must be a string on one line`);
    }
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    return problems.length ? z.NEVER : (parsed as Record<string, string>);
  });

// ---- the worker: tokens, the Flxpoint API, the handler, the store, its own HTTP ports -----------------------

const worker = {
  ...schedules,
  flxpoint: z
    .object({
      ...polling,
      baseUrl: z.url('must be an absolute URL such as https://api.flxpoint.com'),
      acknowledgeMethod: z.enum(['POST', 'PATCH']).default('PATCH'),
      /** The list's whole FRs serve as each FR workflow's first read (no GET per FR); false = GET each. */
      listFed: flag.default(true),
      /** `shadow`: poll, decide and commit locally, record every write instead of sending it (docs/operations.md). */
      mode: z
        .enum(['live', 'shadow'], {
          error:
            'must be "live" (the default: writes go to Flxpoint) or "shadow" (poll, run the handler, commit ' +
            'locally as shadow, record every write without sending it; see docs/operations.md "Shadow mode")',
        })
        .default('live'),
    })
    // Parsed like any other input, so a missing FLXPOINT_BASE_URL is reported as such.
    .prefault({} as { baseUrl: string }),
  sources: z
    .array(
      z.object({
        ...sourceSettings,
        /** The Source token. Secret: only ever handed to the HTTP client, never logged or put into histories. */
        token: z
          .string({ error: 'is missing: set it, or FLXPOINT_TOKEN for every source, or "token" in the file' })
          .min(1, 'is empty'),
      }),
    )
    .min(1, NO_SOURCES),
  handler: z
    .string()
    .regex(/^(accept-all|http:.+|module:.+)$/, 'must be accept-all, http:<url> or module:<path>')
    .default('accept-all'),
  /** Headers the `http:` handler sends with every request (e.g. Authorization). Secret: never echoed. */
  handlerHeaders: handlerHeaders,
  store: z
    .string()
    .regex(/^(embedded(:.*)?|postgres(ql)?:\/\/.+)$/, 'must be embedded[:<dir>] or postgres://...')
    .default('embedded:.data/store'),
  http: z
    .object({
      /** /healthz (liveness) and /readyz (readiness) for Kubernetes probes. 0 = off. */
      healthPort: port(0).default(8080),
      /** Prometheus /metrics of the SDK runtime and the project. 0 = off. */
      metricsPort: port(0).default(9464),
      /** Bind address of both: loopback unless configured (containers set 0.0.0.0 explicitly). */
      host: z.string().min(1).default('127.0.0.1'),
    })
    .prefault({}),
  /** On SIGTERM, how long in-flight activities may finish before they are cancelled (and retried
   * elsewhere). Keep it below the pod's terminationGracePeriodSeconds. */
  shutdownGrace: duration.default(60_000),
  /** Create/update the poll schedules when the worker starts (dev); Kubernetes uses a Job instead. */
  ensureSchedulesOnStart: flag.default(false),
  /** An explicit pre-built workflow bundle; the loader checks it exists and matches the encryption. */
  workflowBundlePath: z.string().optional(),
};

// ---- the shipment intake and the codec server --------------------------------------------------------------

export const DEFAULT_INTAKE_PORT = 8090;
export const DEFAULT_INTAKE_HOST = '127.0.0.1';
export const DEFAULT_CODEC_PORT = 8888;
export const DEFAULT_CODEC_HOST = '127.0.0.1';

/** A bearer token of the intake and, when limited, the only sources it may post shipments for. */
export interface IntakeToken {
  token: string;
  sourceIds?: number[];
}

/**
 * `"tokenA, tokenB:1001+1002"` from the environment (a token, optionally `:` and the `+`-separated
 * source ids it is limited to), or `["tokenA", {"token": "tokenB", "sourceIds": [1001, 1002]}]` (or the
 * same strings) from the file. Tokens are never echoed in a problem.
 */
const authTokens = z
  .union(
    [
      z.string(),
      z.array(
        z.union([
          z.string(),
          z.object({ token: z.string(), sourceIds: z.array(z.union([z.number(), z.string()])).optional() }),
        ]),
      ),
    ],
    { error: 'must be a comma-separated list of tokens (token or token:sourceId+sourceId)' },
  )
  .optional()
  .transform((v, ctx): IntakeToken[] => {
    const entries = (typeof v === 'string' ? v.split(',') : (v ?? []))
      .map((e) => (typeof e === 'string' ? e.trim() : e))
      .filter((e) => e !== '');
    const problems = new Set<string>();
    const tokens = entries.map((e): IntakeToken => {
      let token: string;
      let ids: (number | string)[] | undefined;
      if (typeof e === 'string') {
        const m = /^(.+):([^:]*)$/.exec(e);
        token = m ? m[1]!.trim() : e;
        ids = m ? m[2]!.split('+') : undefined;
      } else {
        token = e.token.trim();
        ids = e.sourceIds;
      }
      if (token.length < 16)
        problems.add('every token must be at least 16 characters; use long random values');
      if (ids === undefined) return { token };
      const sourceIds = ids.map((s) => Number(String(s).trim()));
      if (sourceIds.length === 0 || !sourceIds.every((n) => Number.isSafeInteger(n) && n > 0)) {
        problems.add('a token\'s source list must be positive source ids joined by "+" (token:1001+1002)');
      }
      return { token, sourceIds };
    });
    if (tokens.length === 0) {
      problems.add('is not set: give one or more bearer tokens, comma-separated (e.g. one per warehouse)');
    }
    for (const message of problems) ctx.addIssue({ code: 'custom', message });
    return problems.size ? z.NEVER : tokens;
  });

const intake = {
  ...connection,
  intake: z
    .object({
      port: port(0).default(DEFAULT_INTAKE_PORT),
      host: z.string().min(1).default(DEFAULT_INTAKE_HOST),
      authTokens: authTokens,
      sourceIds: z
        .union([z.string(), z.array(z.union([z.string(), z.number()]))])
        .optional()
        .transform((v, ctx) => {
          if (v === undefined) return undefined;
          const ids = (typeof v === 'string' ? v.split(',') : v).map((s) => Number(String(s).trim()));
          if (ids.every((n) => Number.isSafeInteger(n) && n > 0)) return ids;
          ctx.addIssue({
            code: 'custom',
            message: 'must be positive integers (source ids), comma-separated',
          });
          return z.NEVER;
        }),
    })
    .prefault({}),
};

/** The dev server's Web UI (`temporal server start-dev` serves it on :8233). */
export const DEFAULT_ALLOWED_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];

function originProblem(origin: string): string | undefined {
  if (origin === '*') return 'is a wildcard; list the Web UI origins explicitly (credentials are allowed)';
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return 'is not an origin such as https://temporal.example.com';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'must start with http:// or https://';
  if (url.pathname !== '/' || url.search || url.hash || url.username) {
    return 'must be an origin (scheme://host[:port]) without a path';
  }
  return undefined;
}

const codec = {
  logLevel,
  encryption: z
    .object({
      keys: z
        .string({
          error:
            'is not set: give the same key ring as the workers, e.g. "k1:<base64 32 bytes>" ' +
            '(generate a key with: npx tsx codec/generate-key.ts k1)',
        })
        .min(1),
      activeKeyId: z.string().optional(),
    })
    // Parsed like any other input, so a missing key ring is reported as such.
    .prefault({} as { keys: string }),
  codec: z
    .object({
      port: port(1).default(DEFAULT_CODEC_PORT),
      host: z.string().min(1).default(DEFAULT_CODEC_HOST),
      allowedOrigins: list
        .transform((o) => (o.length ? o : DEFAULT_ALLOWED_ORIGINS))
        .superRefine((origins, ctx) => {
          for (const origin of origins) {
            const problem = originProblem(origin);
            if (problem) ctx.addIssue({ code: 'custom', message: `"${origin}" ${problem}` });
          }
        }),
      authToken: z.string().min(16, 'is shorter than 16 characters; use a long random value').optional(),
    })
    .prefault({}),
};

/** Every process's slice of the one configuration. */
export const SLICES = {
  /** Temporal connection and encryption: the operator CLI's commands that only talk to Temporal. */
  temporal: z.object(connection),
  /** Plus the sources without tokens and the polling settings: the schedule Job, `schedules create`. */
  schedules: z.object(schedules),
  /** Everything the worker runs on, Flxpoint tokens included. */
  worker: z.object(worker),
  /** Temporal, encryption and the intake's own HTTP settings. */
  intake: z.object(intake),
  /** The key ring (required) and the codec server's HTTP settings; no Temporal connection. */
  codec: z.object(codec),
  /** `doctor`: the Flxpoint API and the sources with their tokens; no Temporal, store or handler. */
  doctor: z.object({ logLevel, flxpoint: worker.flxpoint, sources: worker.sources }),
};
