import { loadConfigOrExit } from '../common/config';
import { createLogger } from '../common/logging';
import { ensureSchedules } from '../common/poll-schedule';

// One-shot (Kubernetes Job `flxpoint-setup-schedules`, `npm run schedules`): creates or updates the
// poll schedule of every configured source, then exits 0. It reads the `schedules` slice: the sources
// and polling settings, never a Flxpoint token or URL. Idempotent: re-running never duplicates a
// schedule and never unpauses one an operator paused. Exit 2: bad configuration (the key ring
// included); 1: Temporal failed (the Job's backoffLimit retries it).

async function main(): Promise<void> {
  const config = loadConfigOrExit('schedules', process.env);
  const logger = createLogger(config.logLevel).child({ component: 'setup-schedules' });
  await ensureSchedules(config, logger);
  logger.info({ sources: config.sources.map((s) => s.key) }, 'every poll schedule is in place');
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`setup-schedules failed: ${(err as Error)?.message ?? err}`);
    process.exit(1);
  },
);
