import pino, { type Logger } from 'pino';
import pretty from 'pino-pretty';

// The logger of every process (worker, intake, schedule Job, npm start): structured JSON, one object per
// line, secrets redacted. The worker also routes the Temporal SDK's logs through it (worker/logging.ts),
// adding `frId` and `sourceId`. In a terminal (stdout is a TTY: `npm start`,
// a developer running the worker by hand) the same lines are printed readable, one per line, by pino-pretty;
// a pipe, a file or a container log gets JSON.

/** `auto`: pretty when the destination is a TTY, JSON otherwise. */
export type LogFormat = 'json' | 'pretty' | 'auto';

export interface LoggerOptions {
  format?: LogFormat;
  /** Default process.stdout. */
  destination?: NodeJS.WritableStream & { isTTY?: boolean };
}

export function parseLogFormat(value: string | undefined): LogFormat {
  if (value === undefined || value === '') return 'auto';
  if (value === 'json' || value === 'pretty' || value === 'auto') return value;
  throw new Error(`LOG_FORMAT must be json, pretty or auto, got "${value}"`);
}

export function createLogger(level: string, opts: LoggerOptions = {}): Logger {
  const destination = opts.destination ?? process.stdout;
  const format = opts.format ?? 'auto';
  const isPretty = format === 'pretty' || (format === 'auto' && destination.isTTY === true);
  const options: LoggerOptions_ = {
    level,
    base: { service: 'flxpoint-temporal' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Belt and braces: these keys never reach the output even if someone logs a config or a request.
    redact: {
      paths: ['token', '*.token', 'headers["x-api-token"]', '*.headers["x-api-token"]', 'apiKey', '*.apiKey'],
      censor: '[redacted]',
    },
  };
  if (!isPretty) return opts.destination ? pino(options, opts.destination) : pino(options);
  // In-process and synchronous (no transport thread): a line is on the screen when the call returns, and
  // nothing is left to flush when Ctrl-C ends the process.
  return pino(
    options,
    pretty({
      destination,
      sync: true,
      colorize: destination.isTTY === true,
      singleLine: true,
      translateTime: 'SYS:HH:MM:ss.l',
      // What a person reading along needs: the message, the FR, the workflow, the activity and attempt.
      // The SDK's routing fields (namespace, task queue, run id, task token...) stay in the JSON.
      ignore: [
        'pid',
        'hostname',
        'service',
        'sdk',
        'sdkComponent',
        'namespace',
        'taskQueue',
        'runId',
        'workflowRunId',
        'workflowType',
        'taskToken',
        'isLocal',
      ].join(','),
      // Errors on the same line as their message, like every other field.
      errorLikeObjectKeys: [],
    }),
  );
}

type LoggerOptions_ = pino.LoggerOptions<never, false>;
