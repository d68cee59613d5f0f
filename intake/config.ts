import { ConfigError, type AppConfig } from '../worker/config';
import { loadTemporalSettings } from '../client/cli/temporal-settings';

// The intake's settings: its own INTAKE_* variables plus the worker's TEMPORAL_* and encryption
// settings (read by the same code as the worker's). Every problem is listed at once.

type Env = Record<string, string | undefined>;

export interface IntakeConfig {
  port: number;
  host: string;
  authTokens: string[];
  sourceIds?: number[];
  /** Temporal connection and encryption (the rest of the worker config is placeholders). */
  app: AppConfig;
}

export const DEFAULT_INTAKE_PORT = 8090;
export const DEFAULT_INTAKE_HOST = '127.0.0.1';

export function loadIntakeConfig(env: Env = process.env): IntakeConfig {
  const problems: string[] = [];
  const portText = env.INTAKE_PORT?.trim() || String(DEFAULT_INTAKE_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535)
    problems.push(`INTAKE_PORT: "${portText}" is not a TCP port (0-65535)`);
  const host = env.INTAKE_HOST?.trim() || DEFAULT_INTAKE_HOST;

  const authTokens = (env.INTAKE_AUTH_TOKENS ?? '')
    .split(',')
    .map((t) => t.trim())
    .filter(Boolean);
  if (authTokens.length === 0) {
    problems.push(
      'INTAKE_AUTH_TOKENS is not set: give one or more bearer tokens, comma-separated (e.g. one per warehouse)',
    );
  } else if (authTokens.some((t) => t.length < 16)) {
    problems.push('INTAKE_AUTH_TOKENS: every token must be at least 16 characters; use long random values');
  }

  let sourceIds: number[] | undefined;
  if (env.INTAKE_SOURCE_IDS?.trim()) {
    sourceIds = env.INTAKE_SOURCE_IDS.split(',').map((s) => Number(s.trim()));
    if (sourceIds.some((n) => !Number.isSafeInteger(n) || n <= 0)) {
      problems.push(
        `INTAKE_SOURCE_IDS: "${env.INTAKE_SOURCE_IDS}" must be positive integers, comma-separated`,
      );
    }
  }

  let app: AppConfig | undefined;
  try {
    app = loadTemporalSettings(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems.push(...err.problems);
  }
  if (problems.length || !app) throw new ConfigError(problems);
  return { port, host, authTokens, ...(sourceIds ? { sourceIds } : {}), app };
}
