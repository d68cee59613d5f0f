import { ScheduleNotFoundError, ServiceError, WorkflowNotFoundError } from '@temporalio/client';
import { KeyRingError } from '../../codec/keyring';
import { ConfigError } from '../../common/config';

// One exit-code contract for every command: 0 ok, 1 the operation failed, 2 bad usage or configuration.
// Every error becomes one line an operator can act on; stack traces only with DEBUG=1.

export const EXIT_OK = 0;
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

export class CliError extends Error {
  override readonly name = 'CliError';
  constructor(
    message: string,
    readonly exitCode: typeof EXIT_FAILED | typeof EXIT_USAGE = EXIT_FAILED,
  ) {
    super(message);
  }
}

/** Bad arguments: exit 2, before anything was sent anywhere. */
export const usageError = (message: string) => new CliError(message, EXIT_USAGE);

/** Maps anything thrown by a command to the one line printed and the exit code. */
export function describeError(err: unknown): { message: string; exitCode: number } {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof ConfigError) {
    return { message: `invalid configuration: ${err.problems.join('; ')}`, exitCode: EXIT_USAGE };
  }
  if (err instanceof KeyRingError) {
    return { message: `FLXPOINT_ENCRYPTION_KEYS: ${err.problems.join('; ')}`, exitCode: EXIT_USAGE };
  }
  if (err instanceof ScheduleNotFoundError) {
    return {
      message: `schedule ${err.scheduleId} not found: list the schedules with \`schedules describe\``,
      exitCode: EXIT_FAILED,
    };
  }
  if (err instanceof WorkflowNotFoundError) {
    return { message: `workflow ${err.workflowId} not found`, exitCode: EXIT_FAILED };
  }
  if (err instanceof ServiceError) {
    const cause = err.cause instanceof Error ? `: ${err.cause.message}` : '';
    return { message: `Temporal refused the request: ${err.message}${cause}`, exitCode: EXIT_FAILED };
  }
  const message = err instanceof Error ? err.message : String(err);
  return { message: message.split('\n')[0] ?? message, exitCode: EXIT_FAILED };
}
