import { loadConfigOrExit } from '../worker/config';
import { createLogger } from '../worker/logging';
import { ensureSchedules } from '../worker/app';
import { KeyRingError } from '../codec/keyring';

// One-shot (Kubernetes Job `flxpoint-setup-schedules`, `npm run schedules`): creates or updates the
// poll schedule of every configured source, then exits 0. Idempotent: re-running never duplicates a
// schedule and never unpauses one an operator paused. Exit 2: bad configuration; 1: Temporal failed
// (the Job's backoffLimit retries it).

async function main(): Promise<number> {
  const config = loadConfigOrExit();
  const logger = createLogger(config.logLevel).child({ component: 'setup-schedules' });
  try {
    await ensureSchedules(config, logger);
  } catch (err) {
    if (err instanceof KeyRingError) {
      console.error(err.message);
      return 2;
    }
    throw err;
  }
  logger.info({ sources: config.sources.map((s) => s.key) }, 'every poll schedule is in place');
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`setup-schedules failed: ${(err as Error)?.message ?? err}`);
    process.exit(1);
  },
);
