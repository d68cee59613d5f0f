import { parseCliArgs, UsageError, USAGE } from './cli-args';
import { startSimulator } from './server';

// `npm run simulator -- --help`. Starts the simulated Flxpoint, prints one line with its URLs (never tokens),
// and closes cleanly on SIGINT/SIGTERM.

async function main(): Promise<void> {
  let cfg;
  try {
    cfg = parseCliArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`simulator: ${err.message}\n\n${USAGE}`);
    process.exit(2);
  }
  if (cfg.help) {
    process.stdout.write(USAGE);
    return;
  }
  const sim = await startSimulator(cfg.options);
  if (cfg.generateRate) sim.state.startGenerator({ ratePerSec: cfg.generateRate });
  const rl = sim.state.rateLimit;
  const sources = [...new Set(sim.state.tokens.values())].join(',');
  process.stdout.write(
    `simulator: Flxpoint API ${sim.url} admin ${cfg.options.admin === false ? 'off' : sim.adminUrl} ` +
      `frs=${sim.state.store.size} sources=${sources} rate-limit=${rl.enabled ? `${rl.ratePerSec}/s burst ${rl.burst}` : 'off'}\n`,
  );
  let closing = false;
  const shutdown = (signal: string) => {
    if (closing) return;
    closing = true;
    process.stdout.write(`simulator: ${signal}, closing\n`);
    sim.close().then(
      () => process.exit(0),
      (err: unknown) => {
        process.stderr.write(`simulator: close failed: ${String(err)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  process.stderr.write(`simulator: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
