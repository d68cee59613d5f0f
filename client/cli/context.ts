import type { Command } from 'commander';
import {
  loadConfig,
  type DoctorConfig,
  type Env,
  type SchedulesConfig,
  type TemporalConfig,
} from '../../common/config';
import { connectTemporalClient, type TemporalClient } from '../../common/temporal-client';
import { CliError } from './errors';
import { Output } from './output';

// What every command gets: the output mode and a lazily connected Temporal client. Configuration is
// read only when a command needs it, so `--help` and usage errors work without any environment. Most
// commands read the `temporal` slice; `schedules create|update` the `schedules` slice (sources, no
// tokens). Only `doctor` reads a Flxpoint token and URL (the `doctor` slice), to probe the API read-only.

export interface CliContext {
  out: Output;
  /** Temporal + encryption settings. */
  temporalConfig(): TemporalConfig;
  /** Plus the sources and polling settings, for the commands that create or update schedules. */
  schedulesConfig(): SchedulesConfig;
  /** The Flxpoint URL, dialect and the sources with their tokens, for `doctor` only. */
  doctorConfig(): DoctorConfig;
  temporal(): Promise<TemporalClient>;
  close(): Promise<void>;
}

export function createContext(cmd: Command, env: Env): CliContext {
  const { json } = cmd.optsWithGlobals<{ json?: boolean }>();
  let connected: TemporalClient | undefined;
  let temporalConfig: TemporalConfig | undefined;
  const ctx: CliContext = {
    out: new Output(!!json),
    temporalConfig: () => (temporalConfig ??= loadConfig('temporal', env)),
    schedulesConfig: () => (temporalConfig = loadConfig('schedules', env)),
    doctorConfig: () => loadConfig('doctor', env),
    async temporal() {
      if (connected) return connected;
      const c = ctx.temporalConfig();
      try {
        connected = await connectTemporalClient(c);
      } catch (err) {
        throw new CliError(
          `cannot reach Temporal at ${c.temporal.address} (namespace ${c.temporal.namespace}): ` +
            `${(err as Error).message}; check TEMPORAL_ADDRESS / TEMPORAL_NAMESPACE / TLS settings`,
        );
      }
      return connected;
    },
    async close() {
      await connected?.close();
    },
  };
  return ctx;
}

/** Runs a command body with a context (configured from `env`) and always closes the connection. */
export function action<A extends unknown[]>(
  fn: (ctx: CliContext, ...args: A) => Promise<void>,
  env: Env = process.env,
): (...args: [...A, Command]) => Promise<void> {
  return async (...args) => {
    const cmd = args[args.length - 1] as Command;
    const ctx = createContext(cmd, env);
    try {
      await fn(ctx, ...(args.slice(0, -1) as A));
    } finally {
      await ctx.close();
    }
  };
}
