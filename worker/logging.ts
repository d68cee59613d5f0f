import { DefaultLogger, Runtime, type LogEntry, type LogLevel } from '@temporalio/worker';
import { type Logger } from 'pino';
import { parseFrWorkflowId } from '../common/ids';

// The Temporal SDK's logs (workers, workflows, activities) through the process logger (common/logging.ts):
// workflow and activity lines carry the workflow id, from which every line also gets `frId` and
// `sourceId`, so `grep '"frId":"1234"'` finds an FR's whole story across pods.

const LEVELS: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Installs the SDK runtime once per process: its logs (workers, workflows, activities) go through pino,
 * and its Prometheus exporter (SDK metrics plus the project's, see worker/metrics.ts) listens on
 * `metricsBindAddress` when given.
 */
export function installRuntime(
  logger: Logger,
  opts: { level?: LogLevel; metricsBindAddress?: string } = {},
): void {
  const level = opts.level ?? 'INFO';
  Runtime.install({
    ...(opts.metricsBindAddress
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: opts.metricsBindAddress } } } }
      : {}),
    logger: new DefaultLogger(level, sdkLogRoute(logger)),
  });
}

/**
 * Fields of the SDK's log lines that hold an activity's task token: `taskToken` itself, and the whole task
 * (`task`: its JSON, `taskEncoded`: its protobuf in base64) that the worker prints at debug level and with
 * activity errors. A task token lets anyone who can reach Temporal complete, fail or heartbeat that activity
 * (AsyncCompletionClient), so it never reaches a log; the task's input payloads go with it.
 */
const TASK_FIELDS = ['taskToken', 'task', 'taskEncoded'];

/** Where one SDK log entry goes: pino, with frId/sourceId added and the task token left out. */
export function sdkLogRoute(logger: Logger): (entry: LogEntry) => void {
  return (entry) => {
    // Expected for the per-source API workers, which run activities only.
    if (entry.message.startsWith('No workflows registered')) return;
    const meta = { ...(entry.meta ?? {}) } as Record<string, unknown>;
    for (const field of TASK_FIELDS) {
      if (field in meta) meta[field] = '[redacted]';
    }
    const wfId = typeof meta.workflowId === 'string' ? meta.workflowId : undefined;
    const fr = wfId ? parseFrWorkflowId(wfId) : undefined;
    if (fr) {
      meta.frId ??= fr.frId;
      meta.sourceId ??= fr.sourceId;
    }
    logger[LEVELS[entry.level]]({ ...meta, sdk: true }, entry.message);
  };
}
