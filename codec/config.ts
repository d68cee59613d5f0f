import { ConfigError, loadConfig, type Env } from '../common/config';
import { parseKeyRing, type KeyRing } from './keyring';

// The codec server's slice of the one configuration (common/config): the key ring (required) and its
// CODEC_* settings, from the environment or FLXPOINT_CONFIG_FILE ("codec": {...}, "encryption": {...}).

export { DEFAULT_ALLOWED_ORIGINS, DEFAULT_CODEC_HOST, DEFAULT_CODEC_PORT } from '../common/config';
/** The codec server's name for the one ConfigError, so codec/main.ts can tell a bad config (exit 2). */
export { ConfigError as CodecConfigError };

export interface CodecServerConfig {
  port: number;
  host: string;
  keyRing: KeyRing;
  allowedOrigins: string[];
  authToken?: string;
  /** Advice that does not stop startup (e.g. listening beyond loopback without a token). */
  warnings: string[];
}

/**
 * Throws ConfigError listing every problem at once; key material and the auth token are never echoed.
 */
export function loadCodecServerConfig(env: Env): CodecServerConfig {
  const { encryption, codec } = loadConfig('codec', env);
  const warnings: string[] = [];
  if (!codec.authToken && !isLoopback(codec.host)) {
    warnings.push(
      `CODEC_HOST ${codec.host} is reachable from other machines and CODEC_AUTH_TOKEN is not set: ` +
        'anyone who can reach the port can decrypt payloads',
    );
  }
  // Already validated by the loader; parsed here once more to hand the server a ring.
  const keyRing = parseKeyRing(encryption.keys, encryption.activeKeyId);
  return { ...codec, keyRing, warnings };
}

function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}
