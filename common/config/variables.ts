import { readFileSync } from 'node:fs';

// Where every setting comes from: an environment variable, or the same path in the JSON file named by
// FLXPOINT_CONFIG_FILE (the environment wins). This table is the only list of variables; the loader, its
// error messages and the README check (test/unit/readme-config.test.ts) all read it.

/** Environment variable → path of the setting (dots separate the levels of the JSON file). */
export const ENV_VARIABLES = {
  TEMPORAL_ADDRESS: 'temporal.address',
  TEMPORAL_NAMESPACE: 'temporal.namespace',
  TEMPORAL_TASK_QUEUE: 'temporal.taskQueue',
  TEMPORAL_API_KEY: 'temporal.apiKey',
  TEMPORAL_TLS_CERT: 'temporal.tls.certPath',
  TEMPORAL_TLS_KEY: 'temporal.tls.keyPath',
  TEMPORAL_TLS_CA: 'temporal.tls.caPath',
  FLXPOINT_ENCRYPTION_KEYS: 'encryption.keys',
  FLXPOINT_ENCRYPTION_ACTIVE_KEY: 'encryption.activeKeyId',
  LOG_LEVEL: 'logLevel',
  FLXPOINT_BASE_URL: 'flxpoint.baseUrl',
  FLXPOINT_LIST_DIALECT: 'flxpoint.listDialect',
  FLXPOINT_ACK_METHOD: 'flxpoint.acknowledgeMethod',
  FLXPOINT_REQUEST_TIMEOUT: 'flxpoint.requestTimeout',
  FLXPOINT_REPOLL_AFTER: 'flxpoint.repollAfter',
  FLXPOINT_LIST_FED: 'flxpoint.listFed',
  FLXPOINT_MODE: 'flxpoint.mode',
  FR_HANDLER: 'handler',
  FR_HANDLER_TIMEOUT: 'fr.handlerTimeout',
  FR_HANDLER_HEADERS: 'handlerHeaders',
  FR_SHIPMENT_DEADLINE: 'fr.shipmentDeadline',
  FR_MAX_PER_POLL: 'fr.maxFrsPerPoll',
  STORE_URL: 'store',
  WORKER_HEALTH_PORT: 'http.healthPort',
  WORKER_METRICS_PORT: 'http.metricsPort',
  WORKER_HTTP_HOST: 'http.host',
  WORKER_SHUTDOWN_GRACE: 'shutdownGrace',
  ENSURE_SCHEDULES_ON_START: 'ensureSchedulesOnStart',
  WORKFLOW_BUNDLE_PATH: 'workflowBundlePath',
  INTAKE_PORT: 'intake.port',
  INTAKE_HOST: 'intake.host',
  INTAKE_AUTH_TOKENS: 'intake.authTokens',
  INTAKE_SOURCE_IDS: 'intake.sourceIds',
  CODEC_PORT: 'codec.port',
  CODEC_HOST: 'codec.host',
  CODEC_ALLOWED_ORIGINS: 'codec.allowedOrigins',
  CODEC_AUTH_TOKEN: 'codec.authToken',
} as const;

/**
 * Per-source settings from the environment apply to every source listed in FLXPOINT_SOURCES
 * (`key:sourceId[,key:sourceId…]`); each source's token is FLXPOINT_TOKEN_<KEY>, or FLXPOINT_TOKEN.
 */
export const SOURCE_VARIABLES = {
  FLXPOINT_POLL_INTERVAL: 'pollInterval',
  FLXPOINT_PAGE_SIZE: 'pageSize',
  FLXPOINT_REQUESTS_PER_SECOND: 'requestsPerSecond',
  INVENTORY_SYNC_INTERVAL: 'inventoryInterval',
  INVENTORY_DISAPPEARED: 'inventoryDisappeared',
  INVENTORY_CREATE_UNKNOWN: 'inventoryCreateUnknown',
} as const;

/** The variables outside the two tables above. */
export const OTHER_VARIABLES = [
  'FLXPOINT_CONFIG_FILE',
  'FLXPOINT_SOURCES',
  'FLXPOINT_TOKEN',
  'INVENTORY_STOCK_SOURCE_<KEY>',
] as const;

export type Env = Readonly<Record<string, string | undefined>>;
type Json = Record<string, unknown>;

export const tokenVariable = (sourceKey: string) =>
  `FLXPOINT_TOKEN_${sourceKey.toUpperCase().replace(/-/g, '_')}`;

/** Where a source's stock comes from (inventory push): one variable per source, like its token. */
export const stockSourceVariable = (sourceKey: string) =>
  `INVENTORY_STOCK_SOURCE_${sourceKey.toUpperCase().replace(/-/g, '_')}`;

/** The raw settings (file overlaid by environment), before validation, and where each value came from. */
export interface RawSettings {
  raw: Json;
  /** Paths whose value came from the environment (the others, when present, from the file). */
  fromEnv: Set<string>;
  /** Problems reading FLXPOINT_CONFIG_FILE. */
  fileProblems: string[];
  /** Problems reading FLXPOINT_SOURCES (reported only to processes that need the sources). */
  sourceProblems: string[];
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const given = (v: string | undefined): v is string => v !== undefined && v.trim() !== '';

function readFile(path: string | undefined, problems: string[]): Json {
  if (!given(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    problems.push(`FLXPOINT_CONFIG_FILE ${path}: ${(err as Error).message}`);
    return {};
  }
  if (isObject(parsed)) return parsed;
  problems.push(
    `FLXPOINT_CONFIG_FILE ${path}: must hold a JSON object such as {"temporal":{…},"sources":[…]}`,
  );
  return {};
}

function setPath(target: Json, path: string, value: unknown): void {
  const parts = path.split('.');
  let node = target;
  for (const part of parts.slice(0, -1)) {
    if (!isObject(node[part])) node[part] = {};
    node = node[part] as Json;
  }
  node[parts.at(-1)!] = value;
}

/** File sources and FLXPOINT_SOURCES merged by key; the environment's fields win. */
function readSources(env: Env, fileSources: unknown, problems: string[]): Json[] {
  const byKey = new Map<string, Json>();
  const twice = (where: string, key: string) => problems.push(`${where}: source "${key}" is listed twice`);
  for (const s of Array.isArray(fileSources) ? fileSources : []) {
    const source: Json = isObject(s) ? s : {};
    const key = String(source.key ?? '');
    if (byKey.has(key)) twice('FLXPOINT_CONFIG_FILE "sources"', key);
    byKey.set(key, { ...source });
  }
  const spec = env.FLXPOINT_SOURCES?.trim();
  const listed = new Set<string>();
  for (const part of spec ? spec.split(',') : []) {
    const [key = '', sourceId = ''] = part.trim().split(':');
    if (!sourceId) problems.push(`FLXPOINT_SOURCES: "${part.trim()}" must look like <key>:<sourceId>`);
    if (listed.has(key)) twice('FLXPOINT_SOURCES', key);
    listed.add(key);
    const fromEnv: Json = { key, sourceId };
    for (const [variable, field] of Object.entries(SOURCE_VARIABLES)) {
      if (given(env[variable])) fromEnv[field] = env[variable];
    }
    byKey.set(key, { ...byKey.get(key), ...fromEnv });
  }
  // Tokens are secrets: they may come from the environment even when the sources are in the file.
  return [...byKey.entries()].map(([key, source]) => {
    const token = [env[tokenVariable(key)], env.FLXPOINT_TOKEN].find(given);
    const stock = env[stockSourceVariable(key)];
    return {
      ...source,
      ...(token === undefined ? {} : { token }),
      ...(given(stock) ? { stockSource: stock } : {}),
    };
  });
}

/** Reads the environment and the optional FLXPOINT_CONFIG_FILE into one raw object, every section. */
export function readRawSettings(env: Env): RawSettings {
  const fileProblems: string[] = [];
  const sourceProblems: string[] = [];
  const raw = structuredClone(readFile(env.FLXPOINT_CONFIG_FILE, fileProblems));
  const fromEnv = new Set<string>();
  for (const [variable, path] of Object.entries(ENV_VARIABLES)) {
    const value = env[variable];
    if (!given(value)) continue;
    setPath(raw, path, value);
    fromEnv.add(path);
  }
  raw.sources = readSources(env, raw.sources, sourceProblems);
  return { raw, fromEnv, fileProblems, sourceProblems };
}

const VARIABLE_OF_PATH = new Map<string, string>(
  Object.entries(ENV_VARIABLES).map(([variable, path]) => [path, variable]),
);
const SOURCE_VARIABLE_OF_FIELD = new Map<string, string>(
  Object.entries(SOURCE_VARIABLES).map(([variable, field]) => [field, variable]),
);

/**
 * Names what an operator has to change for a problem at `path`: the variable when the value came from
 * the environment (or is missing), the file's path when it came from FLXPOINT_CONFIG_FILE.
 */
export function settingName(path: readonly PropertyKey[], settings: RawSettings): string {
  if (path.length === 1 && path[0] === 'sources') return 'FLXPOINT_SOURCES';
  if (path[0] === 'sources' && typeof path[1] === 'number') {
    const sources = settings.raw.sources as Json[];
    const key = String(sources[path[1]]?.key ?? '');
    const field = String(path[2] ?? '');
    const variable =
      field === 'token'
        ? tokenVariable(key || '<KEY>')
        : field === 'stockSource'
          ? stockSourceVariable(key || '<KEY>')
          : (SOURCE_VARIABLE_OF_FIELD.get(field) ?? 'FLXPOINT_SOURCES');
    return `${variable} (source "${key}"${field ? ` ${field}` : ''})`;
  }
  // The longest known prefix: an issue inside a list (codec.allowedOrigins.2) belongs to its variable.
  for (let n = path.length; n > 0; n--) {
    const prefix = path.slice(0, n).join('.');
    const variable = VARIABLE_OF_PATH.get(prefix);
    if (!variable) continue;
    return settings.fromEnv.has(prefix) || !hasPath(settings.raw, prefix)
      ? variable
      : `FLXPOINT_CONFIG_FILE "${prefix}"`;
  }
  return path.join('.');
}

function hasPath(o: Json, path: string): boolean {
  let node: unknown = o;
  for (const part of path.split('.')) {
    if (!isObject(node) || !(part in node)) return false;
    node = node[part];
  }
  return true;
}
