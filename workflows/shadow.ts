import { proxyActivities, workflowInfo } from '@temporalio/workflow';
import type { ShadowActivities } from '../activities/shadow-activities';
import type { RecordedWrite } from '../common/shadow';
import type { FrWorkflowSettings, ProcessFulfillmentRequestInput } from './definitions';

// The FR workflow in shadow mode (input.mode 'shadow', id `shadow:fr:…`; docs/operations.md "Shadow mode").
// The workflow code is the same in both modes: the activities it calls answer a shadow workflow's writes
// with the success Flxpoint would have given, without sending them (activities/shadow-client.ts), so every
// step, quantity and outcome follows the live path. The one addition: after each Flxpoint call the workflow
// reads back what was recorded, so its `status` and Web UI details show every write it would have sent.
// Live workflows never take these branches (their input has no mode), so their commands are unchanged and
// every recorded live history replays as before.

/** Flxpoint activities that only read: nothing can have been recorded by them. */
const READS = /^(fetch|list|get|read)/;

/**
 * The workflow's Flxpoint activities; in shadow mode each call other than a read is followed by
 * `afterWrite` (which refreshes the recorded writes).
 */
export function shadowAwareApi<A extends object>(
  api: A,
  input: Pick<ProcessFulfillmentRequestInput, 'mode'>,
  afterWrite: () => Promise<void>,
): A {
  if (input.mode !== 'shadow') return api;
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string' || READS.test(prop) || typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const result: unknown = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
        await afterWrite();
        return result;
      };
    },
  });
}

/** The writes recorded so far for this workflow id (a local store read on the pipeline queue). */
export async function recordedWrites(settings: FrWorkflowSettings): Promise<RecordedWrite[]> {
  const { listShadowWrites } = proxyActivities<ShadowActivities>({
    startToCloseTimeout: settings.pipelineActivityTimeoutMs ?? '2 minutes',
    retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 minutes' },
  });
  return listShadowWrites({ workflowId: workflowInfo().workflowId });
}

/** The Web UI details line of a shadow run: that it is one, and the writes it would have sent. */
export function shadowDetails(writes: RecordedWrite[] | undefined): string {
  if (!writes) return '';
  const list = writes.map((w) => `${w.method} ${w.path}`).join(', ');
  return (
    `**SHADOW MODE**: nothing is sent to Flxpoint · ${writes.length} write(s) recorded` +
    (list ? `: ${list}` : '')
  );
}
