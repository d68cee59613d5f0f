import { type Command } from 'commander';
import { WorkflowFailedError } from '@temporalio/client';
import type { FrStatus } from '../../workflows/definitions';
import { action } from './context';
import { positiveInt } from './args';
import { describeFr, queryStatus } from './fr-workflow';
import { fields, table } from './output';

// `frs show <sourceId> <frId>`: the workflow's execution status plus the FR's own view (the `status`
// query while it runs; its result once completed, which needs no worker).

export function frsShowCommand(frs: Command): void {
  frs
    .command('show')
    .description('workflow status and the FR status query (step, decision, items, shipments, refusals)')
    .argument('<sourceId>', 'Flxpoint source id', positiveInt)
    .argument('<frId>', 'fulfillment request id', positiveInt)
    .action(
      action(async (ctx, sourceId: number, frId: number) => {
        const { handle, description } = await describeFr(ctx, { sourceId, frId });
        const workflowStatus = description.status.name;
        let fr: FrStatus | null = null;
        let failure: string | null = null;
        if (workflowStatus === 'RUNNING') {
          fr = await queryStatus(ctx, handle);
        } else {
          try {
            fr = (await handle.result()) as FrStatus;
          } catch (err) {
            failure =
              err instanceof WorkflowFailedError
                ? `${err.message}: ${err.cause?.message ?? ''}`.replace(/: $/, '')
                : (err as Error).message;
          }
        }
        const data = {
          workflowId: handle.workflowId,
          runId: description.runId,
          workflowStatus,
          taskQueue: description.taskQueue,
          startTime: description.startTime,
          closeTime: description.closeTime ?? null,
          failure,
          fr,
        };
        ctx.out.result(data, (d) => {
          const s = d.fr;
          const head = fields({
            workflow: d.workflowId,
            status: d.workflowStatus,
            started: d.startTime,
            closed: d.closeTime,
            ...(d.failure ? { failure: d.failure } : {}),
            ...(s
              ? {
                  fr: `${s.frNumber ?? '-'} (id ${s.frId}, source ${s.sourceId})`,
                  step: s.step,
                  paused: s.paused,
                  overdue: s.overdue,
                  decision: s.decision?.kind ?? null,
                  outcome: s.outcome,
                  lastError: s.lastError,
                }
              : {}),
          });
          if (!s) return head;
          return [
            head,
            '',
            'items:',
            table(s.items, ['id', 'sku', 'quantity', 'acknowledged', 'shipped', 'cancelled']),
            '',
            'shipments:',
            table(
              s.shipments.map((x) => ({
                ...x,
                items: x.record.items.map((i) => `${i.id}:${i.quantity}`).join(' '),
              })),
              ['trackingNumber', 'status', 'flxpointShipmentId', 'items', 'error'],
            ),
            ...(s.refusals.length
              ? ['', 'refused operator actions:', ...s.refusals.map((r) => `  - ${r}`)]
              : []),
          ].join('\n');
        });
      }),
    );
}
