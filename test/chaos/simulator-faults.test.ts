import { beforeAll, describe, expect, it } from 'vitest';
import type { FaultRules } from '../../simulator/faults';
import {
  activityAttempts,
  allAcknowledged,
  allShipmentsRecorded,
  expectExactAccounting,
  LONG,
  useChaosSuite,
  type ChaosRun,
} from './harness';
import { inspectStore } from '../../store/inspection';

// Flxpoint misbehaving, one fault at a time and then all mixed, against one real worker process. Each phase
// seeds a fresh batch of FRs, turns the fault on while the batch drains (and half of it ships), and ends with
// exact accounting over everything seen so far.
//
// Two kinds of exactly-once, stated per phase:
//  - faults BEFORE Flxpoint handles the request (5xx, 429, dropped connection): the simulator never saw the
//    failed attempt, so ackAttemptsByFr === 1 and shipmentAttemptsByFr === 1 exactly (unless the history
//    shows an attempt cut short after its request left: the client's 2 s timeout on a loaded machine);
//  - faults AFTER it handled the request (answer lost, 5xx after the change, truncated, too slow for the
//    client's 2 s timeout): the retried attempt is not sent blind; the workflow reads the FR and settles the
//    write (docs/flxpoint-api.md, "Read-back rules"), sending it again only when the read shows it absent.
//    Exactly once then means ackSuccessByFr === 1 and one shipment per tracking number, with attempts >= 1.
//
// Refusals come in random words (the harness's default errorWording), so no error text can be relied on.

const BATCH = LONG ? 20 : 6;

describe('Flxpoint faults: nothing lost, nothing doubled', () => {
  // One worker for the whole file: each phase adds a batch, and the accounting covers every phase so far.
  const suite = useChaosSuite({ runScope: 'file' });
  let run: ChaosRun;
  const all: number[] = [];
  const shipments = new Map<string, number>();
  const lossy = new Set<number>();

  beforeAll(async () => {
    run = await suite.start({ requestsPerSecond: 50 });
  });

  /** Seeds a batch, runs `during` with faults on, drains it, ships half, checks the accounting. */
  async function phase(opts: {
    rules: FaultRules;
    answersMayBeLost: boolean;
    /** Faults on for `onMs`, off for `offMs`, repeated: a burst rather than a steady rate. */
    burst?: { onMs: number; offMs: number };
    itemsPerFr?: number;
  }) {
    const ids = run.seed({ count: BATCH, itemsPerFr: opts.itemsPerFr ?? 1 });
    all.push(...ids);
    if (opts.answersMayBeLost) for (const id of ids) lossy.add(id);
    const seed = ids[0]!;
    let on = true;
    run.sim.state.setFaults({ seed, rules: opts.rules });
    const toggler = opts.burst
      ? setInterval(
          () => {
            on = !on;
            if (on) run.sim.state.setFaults({ rules: opts.rules });
            else run.sim.state.clearFaults();
          },
          (opts.burst.onMs + opts.burst.offMs) / 2,
        )
      : undefined;
    try {
      await allAcknowledged(run, ids);
      const shipped = ids.filter((_, i) => i % 2 === 0);
      for (const id of shipped) shipments.set(await run.shipAll(id), id);
      await allShipmentsRecorded(run, shipments);
    } finally {
      if (toggler) clearInterval(toggler);
      run.sim.state.clearFaults();
    }
    const c = run.counters();
    // Before-handling faults: the simulator never counted a failed attempt, so each FR shows one ack
    // request per activity attempt that got through (expectExactAccounting, against the history).
    await expectExactAccounting(run, {
      frIds: all,
      acknowledged: all,
      ackAnswerMayBeLost: [...lossy],
      maxAckAttempts: 8,
      shipments,
      // Before-handling faults never reach the create, so a second attempt would be a bug: only lossy
      // phases may show two attempts for a shipment.
      shipmentAnswerMayBeLost: lossy.size > 0,
    });
    return c;
  }

  it('5xx bursts (every request 503 for a second, then fine, repeatedly)', async () => {
    const c = await phase({
      rules: { '*': { error5xx: 1 } },
      answersMayBeLost: false,
      burst: { onMs: 1200, offMs: 1200 },
    });
    expect(c.faultsInjected.error5xx).toBeGreaterThan(0);
  });

  it('429 storms without Retry-After', async () => {
    run.sim.state.setRateLimit({ retryAfter: 'none' });
    const c = await phase({ rules: { '*': { rateLimit429: 0.35 } }, answersMayBeLost: false });
    run.sim.state.setRateLimit({ retryAfter: 'seconds' });
    expect(c.faultsInjected.rateLimit429).toBeGreaterThan(0);
  });

  it('connections dropped before the request is handled', async () => {
    const c = await phase({ rules: { '*': { drop: 0.3 } }, answersMayBeLost: false });
    expect(c.faultsInjected.drop).toBeGreaterThan(0);
  });

  it('state changed, then 5xx or a dropped connection, on every write (ack, shipment create)', async () => {
    const after = { dropAfter: 0.3, error5xxAfter: 0.45, status5xx: 502 };
    const before = run.counters();
    const c = await phase({
      rules: {
        'fr.acknowledge': after,
        'fr.adjust': after,
        'fr.processingFailed': after,
        'shipment.create': after,
      },
      answersMayBeLost: true,
    });
    expect(c.faultsInjected.dropAfter ?? 0).toBeGreaterThan(before.faultsInjected.dropAfter ?? 0);
    expect(c.faultsInjected.error5xxAfter ?? 0).toBeGreaterThan(before.faultsInjected.error5xxAfter ?? 0);
    // A lost answer is settled by reading, never by sending the write blind: a retried attempt sends
    // nothing, so Flxpoint sees at most one acknowledge per acknowledge activity the workflow scheduled.
    const batch = all.slice(-BATCH);
    let settledByReading = 0;
    for (const id of batch) {
      const tries = await activityAttempts(run, id, 'acknowledgeFulfillmentRequest');
      expect(c.ackAttemptsByFr[id], `ack requests of FR ${id}`).toBeLessThanOrEqual(tries.length);
      settledByReading += tries.filter((t) => t.attempt > 1).length;
    }
    expect(settledByReading, 'ack answers lost and settled by reading the FR').toBeGreaterThan(0);
  });

  it('responses slower than the request timeout (the server still acts)', async () => {
    const c = await phase({
      // A quarter of acks slow: each slow answer costs a timeout plus a doubling backoff (2 s, 4 s, 8 s...),
      // so at one half a run of 5-6 slow retries on one FR (a few % per run) outlasted the 2-minute wait.
      rules: { 'fr.acknowledge': { slowMs: 2_600, slow: 0.25 }, 'fr.get': { slowMs: 2_600, slow: 0.25 } },
      answersMayBeLost: true,
    });
    expect(c.faultsInjected.slow).toBeGreaterThan(0);
  });

  it('truncated bodies and schema-breaking FRs on fetch', async () => {
    const c = await phase({
      rules: { '*': { truncate: 0.25 }, 'fr.get': { truncate: 0.25, schemaBreak: 0.4 } },
      answersMayBeLost: true,
      itemsPerFr: 2,
    });
    expect((c.faultsInjected.truncate ?? 0) + (c.faultsInjected.schemaBreak ?? 0)).toBeGreaterThan(0);
  });

  it('everything at once', async () => {
    const c = await phase({
      rules: {
        '*': {
          error5xx: 0.1,
          rateLimit429: 0.1,
          drop: 0.05,
          dropAfter: 0.1,
          truncate: 0.05,
          slowMs: 2_600,
          slow: 0.05,
        },
        'fr.get': { schemaBreak: 0.1 },
      },
      answersMayBeLost: true,
      itemsPerFr: 2,
    });
    expect(Object.keys(c.faultsInjected).length).toBeGreaterThanOrEqual(3);
    expect(await inspectStore(run.store).stats()).toEqual({
      committed: all.length,
      commitSideEffects: all.length,
      shipments: shipments.size,
    });
  });
});
