import { type Command } from 'commander';
import { WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { frWorkflowId } from '../../common/ids';
import { normalizeShipment } from '../../common/shipment';
import { addShipmentUpdate } from '../../workflows/definitions';
import { action } from './context';
import { isoDate, nonEmpty, positiveInt, shipmentItem, url, type ShipmentItemArg } from './args';
import { CliError, usageError } from './errors';
import { closed, describeFr, runningFr } from './fr-workflow';

// `frs ship`: records a shipment with the `addShipment` update. The workflow validates it before
// accepting (unknown item, more units than remain, FR finished): a rejected update changes nothing and
// its reason is printed. Repeating a tracking number is answered `duplicate`, so retries are safe.

const UPDATE_TIMEOUT_MS = 30_000;

interface ShipOptions {
  tracking: string;
  carrier?: string;
  method?: string;
  shippedAt?: Date;
  trackingUrl?: string;
  item: ShipmentItemArg[];
}

export function frsShipCommand(frs: Command): void {
  frs
    .command('ship')
    .description('record a shipment (addShipment update); prints accepted or duplicate')
    .argument('<sourceId>', 'Flxpoint source id', positiveInt)
    .argument('<frId>', 'fulfillment request id', positiveInt)
    .requiredOption('--tracking <number>', 'tracking number (the idempotency key of the shipment)', nonEmpty)
    .option('--carrier <name>', 'carrier, e.g. UPS', nonEmpty)
    .option('--method <name>', 'shipping method, e.g. Ground', nonEmpty)
    .option('--shipped-at <iso>', 'when it shipped (default: now, as Flxpoint records it)', isoDate)
    .option('--tracking-url <url>', 'carrier tracking page', url)
    .option('--item <itemId:qty>', 'FR item id and units shipped; repeat for each item', shipmentItem, [])
    .action(
      action(async (ctx, sourceId: number, frId: number, opts: ShipOptions) => {
        if (opts.item.length === 0)
          throw usageError('give at least one --item <itemId:qty>, e.g. --item 17:2');
        // The same check the intake and the workflow apply (common/shipment.ts): refused here, before
        // anything is sent, with every problem listed.
        const check = normalizeShipment({
          trackingNumber: opts.tracking,
          items: opts.item,
          carrier: opts.carrier,
          method: opts.method,
          shippedAt: opts.shippedAt?.toISOString(),
          trackingUrl: opts.trackingUrl,
        });
        if (!check.ok) throw usageError(`invalid shipment: ${check.problems.join('; ')}`);
        const record = check.shipment;
        const ref = { sourceId, frId };
        const handle = await runningFr(ctx, ref);
        const { connection } = await ctx.temporal();
        let result;
        try {
          result = await connection.withDeadline(Date.now() + UPDATE_TIMEOUT_MS, () =>
            handle.executeUpdate(addShipmentUpdate, { args: [record] }),
          );
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError) {
            throw new CliError(
              `shipment ${record.trackingNumber} rejected by ${handle.workflowId}: ${err.cause?.message ?? err.message}`,
            );
          }
          if (err instanceof WorkflowNotFoundError) {
            // It closed between the check and the update.
            const { description } = await describeFr(ctx, ref);
            throw closed(ref, description.status.name);
          }
          throw new CliError(
            `shipment ${record.trackingNumber} not confirmed by ${handle.workflowId} within ` +
              `${UPDATE_TIMEOUT_MS / 1000}s (is a worker running?): ${(err as Error).message}; ` +
              'repeating the command is safe',
          );
        }
        const out = { workflowId: frWorkflowId(sourceId, frId), ...result, shipment: record };
        ctx.out.result(out, (r) =>
          r.status === 'accepted'
            ? `shipment ${r.trackingNumber} accepted by ${r.workflowId}; it is sent to Flxpoint next`
            : `shipment ${r.trackingNumber} is a duplicate: ${r.workflowId} already has it; nothing changed`,
        );
      }),
    );
}
