import type { Command } from 'commander';
import { loadConfig, type AppConfig } from '../../worker/config';
import { CliError } from './errors';
import { Output } from './output';
import { connectTemporalClient, loadTemporalSettings, type TemporalClient } from './temporal-settings';

// What every command gets: the output mode and a lazily connected Temporal client. Configuration is
// read only when a command needs it, so `--help` and usage errors work without any environment.

export interface CliContext {
  out: Output;
  /** Temporal + encryption settings only (no Flxpoint token needed). */
  temporalConfig(): AppConfig;
  /** The worker's whole configuration (sources included), for commands that act per source. */
  fullConfig(): AppConfig;
  temporal(config?: AppConfig): Promise<TemporalClient>;
  close(): Promise<void>;
}

export function createContext(
  cmd: Command,
  env: Record<string, string | undefined> = process.env,
): CliContext {
  const { json } = cmd.optsWithGlobals<{ json?: boolean }>();
  let connected: TemporalClient | undefined;
  let temporalConfig: AppConfig | undefined;
  const ctx: CliContext = {
    out: new Output(!!json),
    temporalConfig: () => (temporalConfig ??= loadTemporalSettings(env)),
    fullConfig: () => loadConfig(env),
    async temporal(config) {
      if (connected) return connected;
      const c = config ?? ctx.temporalConfig();
      try {
        connected = await connectTemporalClient(c);
      } catch (err) {
        if (err instanceof Error && err.name === 'KeyRingError') throw err;
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

/** Runs a command body with a context and always closes the connection. */
export function action<A extends unknown[]>(
  fn: (ctx: CliContext, ...args: A) => Promise<void>,
): (...args: [...A, Command]) => Promise<void> {
  return async (...args) => {
    const cmd = args[args.length - 1] as Command;
    const ctx = createContext(cmd);
    try {
      await fn(ctx, ...(args.slice(0, -1) as A));
    } finally {
      await ctx.close();
    }
  };
}
