import { type Command } from 'commander';
import { ScheduleNotFoundError, type ScheduleDescription } from '@temporalio/client';
import { pollScheduleId } from '../../common/ids';
import { ensureInventorySchedules, ensurePollSchedules } from '../../common/poll-schedule';
import { action, type CliContext } from './context';
import { isoDate, nonEmpty, sourceKey } from './args';
import { CliError, usageError } from './errors';
import { fields, table } from './output';

// `schedules ...`: the per-source poll schedules (id `flxpoint-poll:<key>`). Pausing a schedule stops
// new polls of that source; FR workflows already running carry on (pause those with `frs pause`).

const SCHEDULE_PREFIX = pollScheduleId('');

async function describeOrExplain(ctx: CliContext, key: string): Promise<ScheduleDescription> {
  const { client } = await ctx.temporal();
  try {
    return await client.schedule.getHandle(pollScheduleId(key)).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) {
      throw new CliError(
        `schedule ${pollScheduleId(key)} not found: is the source key right? list with \`schedules describe\`, ` +
          'create with `schedules create`',
      );
    }
    throw err;
  }
}

function summary(key: string, d: ScheduleDescription) {
  const every = d.spec.intervals?.[0]?.every;
  return {
    sourceKey: key,
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note ?? null,
    everyMs: typeof every === 'number' ? every : (every ?? null),
    taskQueue: d.action.taskQueue,
    overlap: d.policies.overlap,
    nextActionTimes: d.info.nextActionTimes.slice(0, 3),
    numActionsTaken: d.info.numActionsTaken,
    numActionsSkippedOverlap: d.info.numActionsSkippedOverlap,
    runningWorkflows: d.info.runningActions.map((a) => a.workflow.workflowId),
    recentActions: d.info.recentActions.slice(-5).map((a) => ({
      scheduledAt: a.scheduledAt,
      takenAt: a.takenAt,
      workflowId: a.action.workflow.workflowId,
    })),
  };
}

async function ensure(ctx: CliContext, key: string | undefined): Promise<void> {
  const config = ctx.schedulesConfig();
  if (key && !config.sources.some((s) => s.key === key)) {
    throw usageError(
      `source "${key}" is not configured (FLXPOINT_SOURCES has ${config.sources.map((s) => s.key).join(', ')})`,
    );
  }
  const { client } = await ctx.temporal();
  // The inventory sync schedules of sources with a stock source come with their poll schedules.
  const results = [
    ...(await ensurePollSchedules(client, config, key ? [key] : undefined)),
    ...(await ensureInventorySchedules(client, config, key ? [key] : undefined)),
  ];
  ctx.out.result(results, (r) => table(r, ['sourceKey', 'sourceId', 'scheduleId', 'result', 'everyMs']));
}

export function schedulesCommand(program: Command): void {
  const schedules = program
    .command('schedules')
    .description('poll schedules, one per source (id flxpoint-poll:<key>)');

  for (const name of ['create', 'update']) {
    schedules
      .command(name)
      .argument('[key]', 'one source key (default: every configured source)', sourceKey)
      .description(
        'create or update the poll schedule of every configured source (or one); idempotent, keeps pause state',
      )
      .action(action((ctx, key: string | undefined) => ensure(ctx, key)));
  }

  schedules
    .command('describe')
    .argument('[key]', 'source key (default: list every poll schedule)', sourceKey)
    .description('one schedule in detail, or every poll schedule')
    .action(
      action(async (ctx, key: string | undefined) => {
        if (key !== undefined) {
          const d = summary(key, await describeOrExplain(ctx, key));
          ctx.out.result(d, (s) => fields(s));
          return;
        }
        const { client } = await ctx.temporal();
        const rows = [];
        for await (const s of client.schedule.list()) {
          if (!s.scheduleId.startsWith(SCHEDULE_PREFIX)) continue;
          rows.push({
            sourceKey: s.scheduleId.slice(SCHEDULE_PREFIX.length),
            scheduleId: s.scheduleId,
            paused: s.state.paused,
            note: s.state.note ?? null,
            nextActionTime: s.info.nextActionTimes[0] ?? null,
            lastActionAt: s.info.recentActions.at(-1)?.takenAt ?? null,
          });
        }
        rows.sort((a, b) => a.scheduleId.localeCompare(b.scheduleId));
        ctx.out.result(rows, (r) =>
          table(r, ['sourceKey', 'scheduleId', 'paused', 'note', 'nextActionTime', 'lastActionAt']),
        );
      }),
    );

  for (const [name, verb] of [
    ['pause', 'stop polling'],
    ['unpause', 'resume polling'],
  ] as const) {
    schedules
      .command(name)
      .argument('<key>', 'source key', sourceKey)
      .description(`${verb} a source; the note is shown in the Web UI and in \`schedules describe\``)
      .requiredOption('--note <text>', 'why (who, ticket)', nonEmpty)
      .action(
        action(async (ctx, key: string, opts: { note: string }) => {
          await describeOrExplain(ctx, key);
          const { client } = await ctx.temporal();
          const handle = client.schedule.getHandle(pollScheduleId(key));
          await (name === 'pause' ? handle.pause(opts.note) : handle.unpause(opts.note));
          const d = summary(key, await handle.describe());
          ctx.out.result(
            { scheduleId: d.scheduleId, paused: d.paused, note: d.note },
            (r) => `schedule ${r.scheduleId} ${r.paused ? 'paused' : 'unpaused'} (note: ${r.note})`,
          );
        }),
      );
  }

  schedules
    .command('trigger')
    .argument('<key>', 'source key', sourceKey)
    .description(
      "poll a source now (the schedule's overlap policy SKIP applies: no second poll while one runs)",
    )
    .action(
      action(async (ctx, key: string) => {
        await describeOrExplain(ctx, key);
        const { client } = await ctx.temporal();
        await client.schedule.getHandle(pollScheduleId(key)).trigger();
        ctx.out.result(
          { scheduleId: pollScheduleId(key), triggered: true },
          (r) => `schedule ${r.scheduleId} triggered: a poll starts now unless one is running`,
        );
      }),
    );

  schedules
    .command('backfill')
    .argument('<key>', 'source key', sourceKey)
    .description('take the actions the schedule would have taken between --from and --to (after an outage)')
    .requiredOption('--from <iso>', 'start of the range, e.g. 2026-05-01T00:00:00Z', isoDate)
    .requiredOption('--to <iso>', 'end of the range', isoDate)
    .action(
      action(async (ctx, key: string, opts: { from: Date; to: Date }) => {
        if (opts.from >= opts.to) throw usageError('--from must be before --to');
        await describeOrExplain(ctx, key);
        const { client } = await ctx.temporal();
        await client.schedule.getHandle(pollScheduleId(key)).backfill({ start: opts.from, end: opts.to });
        ctx.out.result(
          { scheduleId: pollScheduleId(key), from: opts.from, to: opts.to, backfilled: true },
          (r) =>
            `schedule ${r.scheduleId} backfilled ${r.from.toISOString()} .. ${r.to.toISOString()} ` +
            '(overlap SKIP: one poll reads every NEW FR, so at most one runs at a time)',
        );
      }),
    );

  schedules
    .command('delete')
    .argument('<key>', 'source key', sourceKey)
    .description(
      'delete a poll schedule (running FR workflows are not affected; `schedules create` restores it)',
    )
    .action(
      action(async (ctx, key: string) => {
        await describeOrExplain(ctx, key);
        const { client } = await ctx.temporal();
        await client.schedule.getHandle(pollScheduleId(key)).delete();
        ctx.out.result(
          { scheduleId: pollScheduleId(key), deleted: true },
          (r) => `schedule ${r.scheduleId} deleted`,
        );
      }),
    );
}
