import { existsSync } from 'node:fs';
import type { z } from 'zod';
import { KeyRingError, parseKeyRing } from '../../codec/keyring';
import { SLICES } from './slices';
import { readRawSettings, settingName, type Env } from './variables';

// The one configuration of every process: environment variables (and an optional JSON file named by
// FLXPOINT_CONFIG_FILE; the environment wins) in, the validated slice a process needs out, with every
// problem listed at once. Only the process entry points hand process.env to their slice's loader (a test,
// test/unit/readme-config.test.ts, keeps it so); tests pass their own env object instead.

export type ConfigSlice = keyof typeof SLICES;
export type ConfigOf<S extends ConfigSlice> = z.output<(typeof SLICES)[S]>;

/** Temporal connection, encryption, log level: what every process that talks to Temporal reads. */
export type TemporalConfig = ConfigOf<'temporal'>;
/** What creating the poll schedules needs: sources without tokens, polling and FR settings. */
export type SchedulesConfig = ConfigOf<'schedules'>;
export type SourceSettings = SchedulesConfig['sources'][number];
export type WorkerConfig = ConfigOf<'worker'>;
/** A source as the worker serves it, token included. */
export type SourceConfig = WorkerConfig['sources'][number];
export type IntakeSlice = ConfigOf<'intake'>;
export type CodecSlice = ConfigOf<'codec'>;
export type DoctorConfig = ConfigOf<'doctor'>;

export {
  DEFAULT_ALLOWED_ORIGINS,
  DEFAULT_CODEC_HOST,
  DEFAULT_CODEC_PORT,
  DEFAULT_INTAKE_HOST,
  DEFAULT_INTAKE_PORT,
  SOURCE_KEY_PATTERN,
} from './slices';
export type { IntakeToken } from './slices';
export { ENV_VARIABLES, OTHER_VARIABLES, SOURCE_VARIABLES, type Env } from './variables';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
  }
}

/**
 * Loads and validates one process's slice from `env` and the file it names. Throws ConfigError listing
 * every problem of that slice; secrets (tokens, keys) are never echoed.
 */
export function loadConfig<S extends ConfigSlice>(slice: S, env: Env): ConfigOf<S> {
  const settings = readRawSettings(env);
  const schema = SLICES[slice];
  const problems = [...settings.fileProblems];
  if ('sources' in schema.shape) problems.push(...settings.sourceProblems);
  const parsed = schema.safeParse(settings.raw);
  for (const issue of parsed.error?.issues ?? []) {
    problems.push(`${settingName(issue.path, settings)}: ${issue.message}`);
  }
  const config = parsed.data as ConfigOf<S> | undefined;
  problems.push(...crossChecks(Object.keys(schema.shape), settings.raw));
  if (problems.length || !config) throw new ConfigError(problems);
  return config;
}

/**
 * What one field's schema cannot see: the key ring and the workflow bundle file. Run
 * on the raw values, so these problems are listed together with the schema's.
 */
function crossChecks(sections: string[], raw: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const text = (v: unknown) => (typeof v === 'string' && v.trim() !== '' ? v : undefined);
  const encryption = (raw.encryption ?? {}) as Record<string, unknown>;
  const keys = text(encryption.keys);
  if (sections.includes('encryption') && keys) {
    try {
      parseKeyRing(keys, text(encryption.activeKeyId));
    } catch (err) {
      if (!(err instanceof KeyRingError)) throw err;
      problems.push(...err.problems.map((p) => `FLXPOINT_ENCRYPTION_KEYS: ${p}`));
    }
  }
  // TLS files are read when connecting: a missing one would fail there (exit 1, after the worker bundled its
  // workflows) instead of here, with the other configuration problems (exit 2).
  const tls = ((raw.temporal as Record<string, unknown> | undefined)?.tls ?? {}) as Record<string, unknown>;
  if (sections.includes('temporal')) {
    for (const [field, variable] of [
      ['certPath', 'TEMPORAL_TLS_CERT'],
      ['keyPath', 'TEMPORAL_TLS_KEY'],
      ['caPath', 'TEMPORAL_TLS_CA'],
    ] as const) {
      const path = text(tls[field]);
      if (path && !existsSync(path)) problems.push(`${variable}: ${path} does not exist`);
    }
  }
  const bundle = text(raw.workflowBundlePath);
  if (sections.includes('workflowBundlePath') && bundle) {
    if (!existsSync(bundle)) {
      problems.push(
        `WORKFLOW_BUNDLE_PATH: ${bundle} does not exist; build it (npm run build) or unset the variable`,
      );
    } else if (keys && !bundle.endsWith('.encrypted.js')) {
      // The failure converter is compiled into the bundle: a plain one would keep failure messages in
      // plaintext while every payload is encrypted.
      problems.push(
        `WORKFLOW_BUNDLE_PATH: ${bundle} is not an encrypting bundle (*.encrypted.js, built by npm run build) ` +
          'but FLXPOINT_ENCRYPTION_KEYS is set; point it at workflow-bundle.encrypted.js or unset it',
      );
    }
  }
  return problems;
}

/**
 * For process entry points: the slice, or every problem on stderr and exit code 2, which Kubernetes and
 * the tests read as "fix the configuration", distinct from a runtime failure (1).
 */
export function loadConfigOrExit<S extends ConfigSlice>(slice: S, env: Env): ConfigOf<S> {
  try {
    return loadConfig(slice, env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    console.error(err.message);
    console.error('See README.md "Configuration" for every variable.');
    process.exit(2);
  }
}
