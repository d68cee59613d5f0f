import { tokenFingerprint } from '../simulator/state';
import {
  deleteSchedules,
  flags,
  machine,
  main,
  pool,
  shipAll,
  sleep,
  startDevServer,
  startSchedules,
  startSimulatorProcess,
  startWorker,
  table,
  waitFor,
  workerModes,
} from './lib/harness';

// Flxpoint requests per FR, before and after list-fed FRs (issue 9 item 2), side by side in one run: N new
// FRs are acknowledged (requests counted: "ack only"), then each gets one shipment through the addShipment
// update (counted again: "ack + one shipment"). The floor is 1 request per FR plus the list pages (1/100
// per FR at page size 100); `old` also GETs each FR. Then an idle stretch: requests per scheduled poll.
// Counts do not depend on the rate, so the simulator's limit is off and the budget raised.

const USAGE = `npx tsx bench/requests-per-fr.ts [--frs 200] [--modes old,new] [--rate 20] [--poll 5s] [--idle-seconds 20]`;
const f = flags({ frs: '200', modes: 'old,new', rate: '20', poll: '5s', 'idle-seconds': '20' }, USAGE);
const N = Number(f.frs);

main(async () => {
  const modes = workerModes(f.modes);
  const tokens = modes.flatMap((_, i) => ['--token', `rpf-${i}=${5001 + i}`]);
  const sim = await startSimulatorProcess(['--seed-count', '0', '--no-rate-limit', ...tokens]);
  const dev = await startDevServer();
  const rows: Record<string, string | number>[] = [];

  for (const [i, [mode, env]] of modes.entries()) {
    const sourceId = 5001 + i;
    const fp = tokenFingerprint(`rpf-${i}`);
    const worker = await startWorker({
      temporalAddress: dev.address,
      simUrl: sim.url,
      sources: [{ key: `r${i}`, sourceId, token: `rpf-${i}` }],
      requestsPerSecond: Number(f.rate),
      pollInterval: f.poll,
      taskQueue: `bench-rpf-${i}`,
      env,
    });
    await sim.admin.resetCounters();
    const ids = (await sim.admin.seed({ count: N, itemsPerFr: 2, sourceId })).ids;
    await startSchedules(dev.client, worker.config);
    const acked = async () => {
      const c = await sim.admin.counters();
      return ids.every((id) => c.ackSuccessByFr[id] === 1);
    };
    await waitFor(`${N} FRs acknowledged (${mode})`, acked, 600_000, 500);
    // Let any re-poll that follows the burst run (it finds nothing new and ends): it is part of the cost.
    await sleep(12_000);
    const afterAck = await sim.admin.counters();
    await pool(ids, 16, (id) => shipAll(dev.client, sourceId, id));
    await waitFor(
      `${N} FRs shipped (${mode})`,
      async () => {
        const c = await sim.admin.counters();
        return ids.every((id) => (c.shipmentsByFr[id] ?? 0) >= 1);
      },
      600_000,
      500,
    );
    const afterShip = await sim.admin.counters();
    const ep = (k: string) => ((afterShip.requestsByEndpoint[k] ?? 0) / N).toFixed(3);
    // Idle: nothing new; requests per scheduled poll.
    await sim.admin.resetCounters();
    const scheduleId = `flxpoint-poll:r${i}`;
    const actions = async () =>
      (await dev.client.schedule.getHandle(scheduleId).describe()).info.numActionsTaken;
    const a0 = await actions();
    await sleep(Number(f['idle-seconds']) * 1000);
    const idle = await sim.admin.counters();
    const polls = Math.max(1, (await actions()) - a0);
    rows.push({
      mode,
      FRs: N,
      'requests per FR, ack only': Number(((afterAck.requestsByToken[fp] ?? 0) / N).toFixed(3)),
      'requests per FR, ack + one shipment': Number(((afterShip.requestsByToken[fp] ?? 0) / N).toFixed(3)),
      'list / get / ack / ship per FR': `${ep('fr.list')} / ${ep('fr.get')} / ${ep('fr.acknowledge')} / ${ep('shipment.create')}`,
      'requests per idle poll': Number(((idle.requestsByToken[fp] ?? 0) / polls).toFixed(2)),
    });
    await deleteSchedules(dev.client, worker.config);
    await worker.stop();
  }
  process.stdout.write(
    `requests-per-fr: ${N} FRs of 2 items per mode, page size 100, simulator limit off, budget ${f.rate} req/s, poll every ${f.poll}; ${machine()}\n`,
  );
  table('Flxpoint requests per FR: old (GET per FR) vs new (list-fed)', rows);
});
