import { Pool } from 'pg';
import { redactError } from './redact';

// The token's budget held across worker replicas. Each replica spaces its own requests (request-pacer.ts)
// and Temporal's task-queue rate limit bounds the sustained dispatch rate, but neither keeps three
// processes from sending within the same instant: measured against a strict bucket (2 req/s, burst 2),
// three replicas drew 429s (test/chaos/worker-replicas.test.ts, docs/benchmarks.md). So with a shared
// PostgreSQL store, every request first takes a slot from one row per source in that database: slots are
// handed out `1/rate` apart by the database's clock under a row lock, and a process sends only once its
// slot has come. The embedded store serves one process, where the in-process pacer is already exact.

/** The shape of activities/request-pacer.ts's RequestPacer (the store does not import activities). */
interface RequestPacer {
  take(): Promise<void>;
}

export interface RequestSlots {
  /** A pacer for one source: take() resolves when this process may send that source's next request. */
  pacerFor(sourceId: number, requestsPerSecond: number): RequestPacer;
  close(): Promise<void>;
}

const TAKE_SLOT = `
  INSERT INTO flxpoint_request_slots AS s (source_id, next_slot)
  VALUES ($1, clock_timestamp() + $2 * interval '1 millisecond')
  ON CONFLICT (source_id) DO UPDATE
    SET next_slot = greatest(clock_timestamp(), s.next_slot) + $2 * interval '1 millisecond'
  RETURNING greatest(0, extract(epoch FROM (s.next_slot - clock_timestamp())) * 1000 - $2)::float8 AS wait_ms`;

export function createPostgresRequestSlots(connectionString: string): RequestSlots {
  // Its own small pool: a slot is a single short statement, and it must not queue behind commits.
  const pool = new Pool({
    connectionString,
    max: 2,
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'flxpoint-temporal-slots',
  });
  pool.on('error', () => undefined); // an idle connection broke: the next query opens a new one
  return {
    pacerFor(sourceId, requestsPerSecond) {
      const spacingMs = 1000 / requestsPerSecond;
      return {
        async take() {
          let waitMs: number;
          try {
            const res = await pool.query<{ wait_ms: number }>(TAKE_SLOT, [sourceId, spacingMs]);
            waitMs = Number(res.rows[0]!.wait_ms);
          } catch (err) {
            // Nothing was sent: the activity fails before its request and Temporal retries it.
            const e = redactError(err, connectionString);
            throw new Error(
              `could not take a Flxpoint request slot for source ${sourceId} from the store's database ` +
                `(${e.message}); the request was not sent and will be retried`,
            );
          }
          if (waitMs > 0) await new Promise((r) => setTimeout(r, waitMs));
        },
      };
    },
    close: () => pool.end(),
  };
}
