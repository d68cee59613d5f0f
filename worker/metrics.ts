import { Runtime } from '@temporalio/worker';
import type { FlxpointActivityMetrics } from '../activities/flxpoint-activities';
import type { InventoryMetrics } from '../activities/inventory/sync-activities';

// The project's own metrics, recorded through the SDK runtime's meter so they are exported on the same
// Prometheus endpoint as the SDK's (worker task slots, schedule-to-start latency, ...). Workflow-side
// counters (FRs started, outcomes) are in workflows/ via the replay-safe workflow metricMeter.

export function createWorkerMetrics(): FlxpointActivityMetrics & {
  outcome(outcome: string, sourceKey?: string): void;
  shadowWrite(endpoint: string, sourceKey: string): void;
} & Required<InventoryMetrics> {
  const meter = Runtime.instance().metricMeter;
  const requests = meter.createCounter(
    'flxpoint_requests',
    'requests',
    'Flxpoint API requests by endpoint and result',
  );
  const rateLimited = meter.createCounter('flxpoint_rate_limited', 'responses', 'Flxpoint 429 answers seen');
  // Milliseconds: the runtime's Prometheus exporter uses millisecond buckets for histograms.
  const latency = meter.createHistogram(
    'flxpoint_request_latency',
    'float',
    'ms',
    'Flxpoint request latency',
  );
  const outcomes = meter.createCounter(
    'flxpoint_fr_outcomes_recorded',
    'frs',
    'FR outcomes written to the local store',
  );
  // Shadow mode (FLXPOINT_MODE=shadow): writes recorded instead of sent, by endpoint. A live worker that
  // still counts some is running leftover shadow workflows' activities (docs/operations.md "Shadow mode").
  const shadowWrites = meter.createCounter(
    'flxpoint_shadow_writes',
    'requests',
    'Flxpoint writes recorded by shadow workflows instead of sent, by endpoint',
  );
  // Inventory sync: variants by what happened to them (pushed, unchanged, failed, unknown, created, bad_row, disappeared).
  const inventory = meter.createCounter(
    'flxpoint_inventory_variants',
    'variants',
    'Inventory variants per sync result: pushed, unchanged, failed, unknown (SKU Flxpoint does not know), created (through POST /inventory/parents), bad_row, disappeared',
  );
  const lastSync = meter.createGauge(
    'flxpoint_inventory_last_sync',
    'int',
    's',
    'Unix time at which the last inventory sync of the source finished (time() - this = its age)',
  );
  return {
    inventorySyncFinished(sourceKey, unixSeconds) {
      lastSync.set(unixSeconds, { source: sourceKey });
    },
    inventory(result, n, sourceKey) {
      inventory.add(n, { result, source: sourceKey });
    },
    request({ endpoint, ok, kind, seconds }) {
      requests.add(1, { endpoint, result: ok ? 'ok' : (kind ?? 'error') });
      if (kind === 'rate_limited') rateLimited.add(1, { endpoint });
      latency.record(seconds * 1000, { endpoint });
    },
    outcome(outcome, sourceKey) {
      outcomes.add(1, { outcome, source: sourceKey ?? 'unknown' });
    },
    shadowWrite(endpoint, sourceKey) {
      shadowWrites.add(1, { endpoint, source: sourceKey });
    },
  };
}
