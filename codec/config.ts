import { KeyRingError, parseKeyRing, type KeyRing } from './keyring';

export const DEFAULT_CODEC_PORT = 8888;
export const DEFAULT_CODEC_HOST = '127.0.0.1';
/** The dev server's Web UI (`temporal server start-dev` serves it on :8233). */
export const DEFAULT_ALLOWED_ORIGINS = ['http://localhost:8233', 'http://127.0.0.1:8233'];

export interface CodecServerConfig {
  port: number;
  host: string;
  keyRing: KeyRing;
  allowedOrigins: string[];
  authToken?: string;
  /** Advice that does not stop startup (e.g. listening beyond loopback without a token). */
  warnings: string[];
}

export class CodecConfigError extends Error {
  override readonly name = 'CodecConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid codec server configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

type Env = Record<string, string | undefined>;

/**
 * Reads the codec server's settings from the environment, filling defaults. Throws {@link CodecConfigError}
 * listing every problem at once; key material and the auth token are never echoed.
 */
export function loadCodecServerConfig(env: Env = process.env): CodecServerConfig {
  const problems: string[] = [];
  const warnings: string[] = [];

  const portText = env.CODEC_PORT?.trim() || String(DEFAULT_CODEC_PORT);
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port < 1 || port > 65535) {
    problems.push(`CODEC_PORT: "${portText}" is not a TCP port (1-65535)`);
  }

  const host = env.CODEC_HOST?.trim() || DEFAULT_CODEC_HOST;

  let keyRing: KeyRing | undefined;
  const keys = env.FLXPOINT_ENCRYPTION_KEYS?.trim();
  if (!keys) {
    problems.push(
      'FLXPOINT_ENCRYPTION_KEYS is not set: give the same key ring as the workers, e.g. "k1:<base64 32 bytes>" ' +
        '(generate a key with: npx tsx codec/generate-key.ts k1)',
    );
  } else {
    try {
      keyRing = parseKeyRing(keys, env.FLXPOINT_ENCRYPTION_ACTIVE_KEY?.trim() || undefined);
    } catch (err) {
      if (!(err instanceof KeyRingError)) throw err;
      problems.push(...err.problems.map((p) => `FLXPOINT_ENCRYPTION_KEYS: ${p}`));
    }
  }

  const allowedOrigins = env.CODEC_ALLOWED_ORIGINS?.trim()
    ? env.CODEC_ALLOWED_ORIGINS.split(',')
        .map((o) => o.trim())
        .filter((o) => o !== '')
    : DEFAULT_ALLOWED_ORIGINS;
  for (const origin of allowedOrigins) {
    const problem = originProblem(origin);
    if (problem) problems.push(`CODEC_ALLOWED_ORIGINS: "${origin}" ${problem}`);
  }

  const authToken = env.CODEC_AUTH_TOKEN || undefined;
  if (authToken !== undefined && authToken.trim().length < 16) {
    problems.push('CODEC_AUTH_TOKEN is shorter than 16 characters; use a long random value');
  }
  if (!authToken && !isLoopback(host)) {
    warnings.push(
      `CODEC_HOST ${host} is reachable from other machines and CODEC_AUTH_TOKEN is not set: ` +
        'anyone who can reach the port can decrypt payloads',
    );
  }

  if (problems.length > 0 || !keyRing) throw new CodecConfigError(problems);
  return { port, host, keyRing, allowedOrigins, ...(authToken ? { authToken } : {}), warnings };
}

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

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
