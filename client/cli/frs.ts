import { type Command } from 'commander';
import { frsControlCommands } from './frs-control';
import { frsListCommand } from './frs-list';
import { frsShipCommand } from './frs-ship';
import { frsShowCommand } from './frs-show';

// `frs ...`: one fulfillment request's workflow, id fr:<sourceId>:<frId>.
export function frsCommand(program: Command): void {
  const frs = program.command('frs').description('fulfillment request workflows (id fr:<sourceId>:<frId>)');
  frsListCommand(frs);
  frsShowCommand(frs);
  frsControlCommands(frs);
  frsShipCommand(frs);
}
