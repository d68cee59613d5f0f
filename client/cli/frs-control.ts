import { type Command } from 'commander';
import type { WorkflowHandle } from '@temporalio/client';
import { frWorkflowId } from '../../common/ids';
import {
  cancelSignal,
  failSignal,
  pauseSignal,
  resumeSignal,
  type FrStatus,
} from '../../workflows/definitions';
import { action, type CliContext } from './context';
import { nonEmpty, positiveInt } from './args';
import { CliError } from './errors';
import { queryStatus, runningFr } from './fr-workflow';

// `frs pause|resume|fail|cancel`: the workflow's operator signals. A signal is fire-and-forget, and the
// workflow may refuse it (e.g. fail after Flxpoint holds the acknowledgement), so the command watches
// the status query for a moment and reports what the workflow did: applied, refused (exit 1), or pending
// (delivered; the workflow acts at its next step).

const OBSERVE_MS = 5_000;

interface Control {
  name: 'pause' | 'resume' | 'fail' | 'cancel';
  description: string;
  send(handle: WorkflowHandle, reason: string | undefined): Promise<void>;
  applied(s: FrStatus): boolean;
}

const CONTROLS: Control[] = [
  {
    name: 'pause',
    description: 'hold the FR before its next step (an in-flight call finishes first)',
    send: (h, reason) => h.signal(pauseSignal, reason ? { reason } : {}),
    applied: (s) => s.paused,
  },
  {
    name: 'resume',
    description: 'continue a paused FR',
    send: (h) => h.signal(resumeSignal),
    applied: (s) => !s.paused,
  },
  {
    name: 'fail',
    description: 'give up on the FR: mark it processing-failed in Flxpoint (refused once acknowledged)',
    send: (h, reason) => h.signal(failSignal, { reason: reason! }),
    applied: (s) => s.step === 'failing' || s.outcome !== null,
  },
  {
    name: 'cancel',
    description: 'cancel every quantity not yet shipped',
    send: (h, reason) => h.signal(cancelSignal, reason ? { reason } : {}),
    applied: (s) => s.step === 'adjusting' || s.step === 'cancelling' || s.outcome !== null,
  },
];

async function observe(
  ctx: CliContext,
  handle: WorkflowHandle,
  control: Control,
  refusalsBefore: number,
): Promise<{
  effect: 'applied' | 'refused' | 'pending';
  refusal?: string;
  status?: FrStatus;
  note?: string;
}> {
  const deadline = Date.now() + OBSERVE_MS;
  for (;;) {
    let s: FrStatus;
    try {
      s = await queryStatus(ctx, handle);
    } catch (err) {
      return { effect: 'pending', note: (err as Error).message };
    }
    if (s.refusals.length > refusalsBefore)
      return { effect: 'refused', refusal: s.refusals.at(-1), status: s };
    if (control.applied(s)) return { effect: 'applied', status: s };
    if (Date.now() > deadline) return { effect: 'pending', status: s };
    await new Promise((r) => setTimeout(r, 250));
  }
}

export function frsControlCommands(frs: Command): void {
  for (const control of CONTROLS) {
    const cmd = frs
      .command(control.name)
      .description(control.description)
      .argument('<sourceId>', 'Flxpoint source id', positiveInt)
      .argument('<frId>', 'fulfillment request id', positiveInt);
    if (control.name === 'fail') cmd.requiredOption('--reason <text>', 'why (shown in Flxpoint)', nonEmpty);
    else if (control.name !== 'resume') cmd.option('--reason <text>', 'why (logged)', nonEmpty);
    cmd.action(
      action(async (ctx, sourceId: number, frId: number, opts: { reason?: string }) => {
        const ref = { sourceId, frId };
        const handle = await runningFr(ctx, ref);
        // Refusals are counted before the signal so a new one is recognised; without an answering
        // worker the signal is still delivered and acted on later.
        const before = await queryStatus(ctx, handle).then(
          (s) => s.refusals.length,
          () => undefined,
        );
        await control.send(handle, opts.reason);
        const seen =
          before === undefined
            ? { effect: 'pending' as const, note: 'no worker answered the status query' }
            : await observe(ctx, handle, control, before);
        const result = {
          workflowId: frWorkflowId(sourceId, frId),
          signal: control.name,
          reason: opts.reason ?? null,
          delivered: true,
          effect: seen.effect,
          refusal: seen.refusal ?? null,
          step: seen.status?.step ?? null,
          paused: seen.status?.paused ?? null,
          outcome: seen.status?.outcome ?? null,
          ...(seen.note ? { note: seen.note } : {}),
        };
        if (seen.effect === 'refused') {
          if (ctx.out.json) ctx.out.result(result, () => '');
          throw new CliError(`${control.name} refused by ${result.workflowId}: ${seen.refusal}`);
        }
        ctx.out.result(result, (r) =>
          r.effect === 'applied'
            ? `${r.signal} applied to ${r.workflowId} (step ${r.step}${r.paused ? ', paused' : ''}${r.outcome ? `, outcome ${r.outcome}` : ''})`
            : `${r.signal} delivered to ${r.workflowId}; the workflow acts on it at its next step` +
              (r.note ? ` (${r.note})` : ''),
        );
      }),
    );
  }
}
