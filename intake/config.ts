import { loadConfig, type Env, type IntakeToken, type TemporalConfig } from '../common/config';

// The intake's slice of the one configuration (common/config): its INTAKE_* settings plus the Temporal
// connection and encryption, from the environment or FLXPOINT_CONFIG_FILE ("intake": {...}). Never a
// Flxpoint token or source list.

export { DEFAULT_INTAKE_HOST, DEFAULT_INTAKE_PORT } from '../common/config';

export interface IntakeConfig {
  port: number;
  host: string;
  /** Each token, and the sources it is limited to when the entry named them. */
  authTokens: IntakeToken[];
  sourceIds?: number[];
  /** Temporal connection, encryption and log level. */
  app: TemporalConfig;
}

/** Throws ConfigError listing every problem. */
export function loadIntakeConfig(env: Env): IntakeConfig {
  const { intake, ...app } = loadConfig('intake', env);
  return { ...intake, app };
}
