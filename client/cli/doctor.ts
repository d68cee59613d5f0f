import { type Command } from 'commander';
import { stockSourceVariable } from '../../common/config/variables';
import { formatDoctorReport, runDoctor, type DoctorReport } from '../doctor/probe';
import { checkStockSource } from '../doctor/stock';
import { sourceKey } from './args';
import { action, type CliContext } from './context';
import { CliError, usageError } from './errors';

// `doctor`: before going live (and whenever Flxpoint seems to behave differently), ask the real API a
// handful of read-only questions with the worker's own settings and print the configuration to use.
// Exit 0 when nothing would make the worker misbehave, 1 when something would, 2 on bad configuration.

export function doctorCommand(program: Command): void {
  program
    .command('doctor')
    .description(
      'read-only check of the Flxpoint API with the worker settings: token, list dialect, envelope, page base, ' +
        'whole FRs in the list, the token source, and the first page of each INVENTORY_STOCK_SOURCE_<KEY>; ' +
        'prints the settings to use (never writes)',
    )
    .option('--source <key>', 'check this source only (default: every configured source)', sourceKey)
    .action(action((ctx: CliContext, opts: { source?: string }) => doctor(ctx, opts)));
}

async function doctor(ctx: CliContext, opts: { source?: string }): Promise<void> {
  const out = ctx.out;
  const config = ctx.doctorConfig();
  const sources = opts.source ? config.sources.filter((s) => s.key === opts.source) : config.sources;
  if (sources.length === 0) {
    throw usageError(
      `source "${opts.source}" is not configured (FLXPOINT_SOURCES has ${config.sources.map((s) => s.key).join(', ')})`,
    );
  }
  const reports: (DoctorReport & { sourceKey: string })[] = [];
  for (const s of sources) {
    const report = await runDoctor({
      baseUrl: config.flxpoint.baseUrl,
      token: s.token,
      expectedSourceId: s.sourceId,
      configuredDialect: config.flxpoint.listDialect,
      requestTimeoutMs: config.flxpoint.requestTimeout,
    });
    // A source with a stock source: can an inventory sync read it (first page; one request for http:)?
    if (s.stockSource) {
      const stock = await checkStockSource(s.stockSource, { setting: stockSourceVariable(s.key) });
      report.checks.push(stock);
      if (stock.status === 'fail') report.failed = true;
    }
    reports.push({ sourceKey: s.key, ...report });
  }
  out.result(reports, (rs) =>
    rs.map((r) => `== source ${r.sourceKey}\n${formatDoctorReport(r)}`).join('\n\n'),
  );
  const failed = reports.filter((r) => r.failed).map((r) => r.sourceKey);
  if (failed.length > 0) {
    throw new CliError(`doctor found problems for source(s) ${failed.join(', ')}: see the FAIL lines above`);
  }
}
