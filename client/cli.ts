import { Command, CommanderError } from 'commander';
import { describeError, EXIT_OK, EXIT_USAGE } from './cli/errors';
import { doctorCommand } from './cli/doctor';
import { frsCommand } from './cli/frs';
import { inventoryCommand } from './cli/inventory';
import { schedulesCommand } from './cli/schedules';

// Operator CLI: `npm run cli -- <command>` (compiled: `node dist/client/cli.js`). Reads the Temporal and
// encryption settings (plus the sources, without tokens, for `schedules create|update`) and uses the
// encrypting data converter, so it reads and writes payloads like the workers do.
// Exit codes: 0 ok, 1 the operation failed, 2 bad usage or configuration. See docs/cli.md.

const NAME = 'flxpoint-cli';

export function buildProgram(): Command {
  const program = new Command(NAME)
    .description('Operate the Flxpoint integration: poll schedules and fulfillment-request workflows')
    .option('--json', 'print results as JSON on stdout')
    .showSuggestionAfterError(true)
    .exitOverride()
    .configureOutput({
      outputError: (text, write) => write(`${NAME}: ${text.replace(/^error: /, '').trim()} (see --help)\n`),
    });
  schedulesCommand(program);
  frsCommand(program);
  inventoryCommand(program);
  doctorCommand(program);
  return program;
}

export async function runCli(argv: string[]): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return EXIT_OK;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version are answers, not errors; everything else commander rejects is bad usage.
      if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT_OK;
      return EXIT_USAGE;
    }
    const { message, exitCode } = describeError(err);
    process.stderr.write(`${NAME}: ${message}\n`);
    if (process.env.DEBUG) console.error(err);
    return exitCode;
  }
}

if (require.main === module) {
  runCli(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${NAME}: ${(err as Error).message}\n`);
      process.exitCode = 1;
    },
  );
}
