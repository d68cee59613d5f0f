import { parseArgs } from 'node:util';
import { type FaultRule } from './faults';
import { type SimulatorOptions } from './options';

// Command-line flags of `npm run simulator`, parsed and validated apart from main.ts so tests can check every
// rejection without spawning a process.

export class UsageError extends Error {}

export const USAGE = `Usage: npm run simulator -- [options]

Serves a simulated Flxpoint API (and its admin API under /__admin/) for local runs and tests.

  --port <n>                 port to listen on (default 8787; 0 picks a free one)
  --host <addr>              interface to bind (default 127.0.0.1)
  --token <token=sourceId>   API token and its source, repeatable (default dev-token=1001, dev-token-2=1002)
  --seed-count <n>           FRs to create at start (default 20)
  --items-per-fr <n>         lines per FR (default 2)
  --quantity-max <n>         max units per line (default 5)
  --random-seed <n>          seed of fake data and faults (default 1)
  --rate <n>                 requests/second per token (default 2)
  --burst <n>                bucket size per token (default 2)
  --no-rate-limit            disable the rate limiter
  --retry-after <mode>       seconds | http-date | none (default seconds)
  --envelope <kind>          FR list envelope: items | data | array (default array)
  --ack-methods <list>       POST,PATCH | POST | PATCH (default POST,PATCH)
  --allow-duplicate-tracking accept duplicate tracking numbers on an FR
  --list-dialects <list>     list query dialects honoured, others ignored: guide,reference | guide |
                             reference (default reference)
  --error-wording <mode>     canonical | random: 4xx bodies with fixed phrases, or unrelated words drawn
                             per run (default canonical)
  --fault-5xx <fraction>     fraction of requests answered 503
  --fault-429 <fraction>     fraction of requests answered 429 (beyond the rate limit)
  --fault-slow-ms <ms>       delay every request (or --fault-slow fraction of them) by ms
  --fault-slow <fraction>    fraction of requests delayed (default 1 when --fault-slow-ms is set)
  --fault-drop <fraction>    fraction of connections dropped before handling
  --fault-drop-after <fraction> fraction handled, then connection dropped (lost response)
  --fault-5xx-after <fraction>  fraction handled, then answered 503 (state changed, client told it failed)
  --fault-truncate <fraction>   fraction of bodies truncated
  --fault-schema <fraction>     fraction of bodies with one schema-breaking FR
  --generate-rate <n>        create n new FRs per second continuously
  --first-fr-id <n>          id of the first FR (default 1; use a fresh range after a restart that
                             keeps Temporal's state)
  --inventory-count <n>      catalog of the first token's source: n SKUs (SKU-000001…) (default 0)
  --fault-item-failure <fraction> fraction of inventory items failing inside a 2xx answer
  --no-admin                 do not serve /__admin/
  -h, --help                 show this help
`;

export interface CliConfig {
  options: SimulatorOptions;
  generateRate?: number;
  help: boolean;
}

export function parseCliArgs(argv: string[]): CliConfig {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      strict: true,
      allowPositionals: false,
      allowNegative: true,
      options: {
        port: { type: 'string' },
        host: { type: 'string' },
        token: { type: 'string', multiple: true },
        'seed-count': { type: 'string' },
        'items-per-fr': { type: 'string' },
        'quantity-max': { type: 'string' },
        'random-seed': { type: 'string' },
        rate: { type: 'string' },
        burst: { type: 'string' },
        'rate-limit': { type: 'boolean' },
        'retry-after': { type: 'string' },
        envelope: { type: 'string' },
        'ack-methods': { type: 'string' },
        'allow-duplicate-tracking': { type: 'boolean' },
        'list-dialects': { type: 'string' },
        'error-wording': { type: 'string' },
        'fault-5xx': { type: 'string' },
        'fault-429': { type: 'string' },
        'fault-slow-ms': { type: 'string' },
        'fault-slow': { type: 'string' },
        'fault-drop': { type: 'string' },
        'fault-drop-after': { type: 'string' },
        'fault-5xx-after': { type: 'string' },
        'fault-truncate': { type: 'string' },
        'fault-schema': { type: 'string' },
        'generate-rate': { type: 'string' },
        'inventory-count': { type: 'string' },
        'first-fr-id': { type: 'string' },
        'fault-item-failure': { type: 'string' },
        admin: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
  const v = parsed.values;
  const problems: string[] = [];
  const int = (name: string, raw: string | undefined, min: number, max: number): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (!/^\d+$/.test(raw) || n < min || n > max) {
      problems.push(`--${name} must be an integer in ${min}..${max}, got ${JSON.stringify(raw)}`);
      return undefined;
    }
    return n;
  };
  const positive = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(n) || n <= 0) {
      problems.push(`--${name} must be a number > 0, got ${JSON.stringify(raw)}`);
      return undefined;
    }
    return n;
  };
  const fraction = (name: string, raw: string | undefined): number | undefined => {
    if (raw === undefined) return undefined;
    const n = Number(raw);
    if (raw.trim() === '' || !(n >= 0 && n <= 1)) {
      problems.push(`--${name} must be a fraction between 0 and 1, got ${JSON.stringify(raw)}`);
      return undefined;
    }
    return n;
  };
  const oneOf = <T extends string>(
    name: string,
    raw: string | undefined,
    allowed: readonly T[],
  ): T | undefined => {
    if (raw === undefined) return undefined;
    if (!(allowed as readonly string[]).includes(raw)) {
      problems.push(`--${name} must be one of ${allowed.join(', ')}, got ${JSON.stringify(raw)}`);
      return undefined;
    }
    return raw as T;
  };

  const options: SimulatorOptions = {
    port: int('port', v.port, 0, 65535) ?? 8787,
    host: v.host ?? '127.0.0.1',
  };
  if (v.token) {
    const tokens: Record<string, number> = {};
    for (const t of v.token) {
      const m = /^([^=\s]+)=(\d+)$/.exec(t);
      // Never echo the token back: it may be a real one pasted by mistake.
      if (!m || Number(m[2]) <= 0) problems.push('--token must look like <token>=<positive sourceId>');
      else tokens[m[1]!] = Number(m[2]);
    }
    options.tokens = tokens;
  }
  const seedCount = int('seed-count', v['seed-count'], 0, 1_000_000) ?? 20;
  const itemsPerFr = int('items-per-fr', v['items-per-fr'], 1, 100);
  const qMax = int('quantity-max', v['quantity-max'], 1, 10_000);
  if (seedCount > 0) {
    options.seed = {
      count: seedCount,
      ...(itemsPerFr !== undefined ? { itemsPerFr } : {}),
      ...(qMax !== undefined ? { quantity: { min: 1, max: qMax } } : {}),
    };
  }
  const randomSeed = int('random-seed', v['random-seed'], 0, 2 ** 32 - 1);
  if (randomSeed !== undefined) options.randomSeed = randomSeed;
  const rate = positive('rate', v.rate);
  const burst = int('burst', v.burst, 1, 1_000_000);
  const retryAfter = oneOf('retry-after', v['retry-after'], ['seconds', 'http-date', 'none'] as const);
  options.rateLimit = {
    enabled: v['rate-limit'] ?? true,
    ...(rate !== undefined ? { ratePerSec: rate } : {}),
    ...(burst !== undefined ? { burst } : {}),
    ...(retryAfter !== undefined ? { retryAfter } : {}),
  };
  const envelope = oneOf('envelope', v.envelope, ['items', 'data', 'array'] as const);
  if (envelope) options.listEnvelope = envelope;
  const ack = oneOf('ack-methods', v['ack-methods'], ['POST,PATCH', 'PATCH,POST', 'POST', 'PATCH'] as const);
  if (ack) options.acknowledgeMethods = ack.split(',') as ('POST' | 'PATCH')[];
  if (v['allow-duplicate-tracking']) options.allowDuplicateTrackingNumbers = true;
  const dialects = oneOf('list-dialects', v['list-dialects'], [
    'guide,reference',
    'reference,guide',
    'guide',
    'reference',
  ] as const);
  if (dialects) options.listDialects = dialects.split(',') as ('guide' | 'reference')[];
  const wording = oneOf('error-wording', v['error-wording'], ['canonical', 'random'] as const);
  if (wording) options.errorWording = wording;
  if (v.admin === false) options.admin = false;

  const rule: FaultRule = {};
  const f5 = fraction('fault-5xx', v['fault-5xx']);
  if (f5) rule.error5xx = f5;
  const f429 = fraction('fault-429', v['fault-429']);
  if (f429) rule.rateLimit429 = f429;
  const slowMs = int('fault-slow-ms', v['fault-slow-ms'], 0, 600_000);
  if (slowMs) rule.slowMs = slowMs;
  const slow = fraction('fault-slow', v['fault-slow']);
  if (slow !== undefined) {
    if (!slowMs) problems.push('--fault-slow needs --fault-slow-ms');
    rule.slow = slow;
  }
  const drop = fraction('fault-drop', v['fault-drop']);
  if (drop) rule.drop = drop;
  const dropAfter = fraction('fault-drop-after', v['fault-drop-after']);
  if (dropAfter) rule.dropAfter = dropAfter;
  const f5After = fraction('fault-5xx-after', v['fault-5xx-after']);
  if (f5After) rule.error5xxAfter = f5After;
  const trunc = fraction('fault-truncate', v['fault-truncate']);
  if (trunc) rule.truncate = trunc;
  const schema = fraction('fault-schema', v['fault-schema']);
  if (schema) rule.schemaBreak = schema;
  const itemFailure = fraction('fault-item-failure', v['fault-item-failure']);
  if (itemFailure) rule.itemFailure = itemFailure;
  const firstFrId = int('first-fr-id', v['first-fr-id'], 1, 2 ** 50);
  if (firstFrId !== undefined) options.firstFrId = firstFrId;
  const inventoryCount = int('inventory-count', v['inventory-count'], 0, 1_000_000);
  if (inventoryCount) {
    const firstSource = options.tokens ? Object.values(options.tokens)[0] : 1001;
    if (firstSource !== undefined) options.inventory = { count: inventoryCount, sourceId: firstSource };
  }
  if (Object.keys(rule).length > 0) options.faults = { rules: { '*': rule } };

  const generateRate = positive('generate-rate', v['generate-rate']);
  if (problems.length > 0) throw new UsageError(problems.join('\n'));
  return { options, help: v.help ?? false, ...(generateRate !== undefined ? { generateRate } : {}) };
}
