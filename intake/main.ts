import type { Logger } from 'pino';
import { ConfigError } from '../common/config';
import { createLogger } from '../common/logging';
import { connectTemporalClient } from '../common/temporal-client';
import { loadIntakeConfig } from './config';
import { checkPayloadEncryption, type EncryptionCheck } from './encryption-check';
import { startIntakeServer } from './server';

// Entry point of the shipment intake (`npm run intake`; compiled: `node dist/intake/main.js`).
// Fails fast (exit 2) listing every configuration problem, including an intake without the key ring in
// front of workers that encrypt (intake/encryption-check.ts); SIGTERM stops taking requests, lets the
// ones in flight finish, closes the Temporal connection and exits 0.

export interface RunningIntake {
  url: string;
  /** Stops accepting, finishes requests in flight, closes the Temporal connection. */
  close(): Promise<void>;
}

/** Loads the config from `env` (throws ConfigError listing every problem), connects, listens. */
export async function runIntake(
  env: Record<string, string | undefined>,
  logger?: Logger,
): Promise<RunningIntake> {
  const config = loadIntakeConfig(env);
  const log = logger ?? createLogger(config.app.logLevel).child({ component: 'intake' });
  const temporal = await connectTemporalClient(config.app);
  let server;
  try {
    await refuseEncryptionMismatch(temporal.client, config.app, log);
    server = await startIntakeServer({
      client: temporal.client,
      port: config.port,
      host: config.host,
      authTokens: config.authTokens,
      sourceIds: config.sourceIds,
      logger: log,
    });
  } catch (err) {
    await temporal.close();
    throw err;
  }
  log.info(
    {
      url: server.url,
      temporal: config.app.temporal.address,
      namespace: config.app.temporal.namespace,
      tokens: config.authTokens.length,
      sourceIds: config.sourceIds ?? 'any',
      encryption: config.app.encryption.keys ? 'on' : 'off',
    },
    'shipment intake listening',
  );
  const running = server;
  return {
    url: running.url,
    async close() {
      await running.close();
      await temporal.close();
    },
  };
}

/** ConfigError when the workers encrypt and this intake cannot; a check that cannot run is only logged. */
async function refuseEncryptionMismatch(
  client: Parameters<typeof checkPayloadEncryption>[0],
  app: ReturnType<typeof loadIntakeConfig>['app'],
  log: Logger,
): Promise<void> {
  const encrypts = Boolean(app.encryption.keys);
  const check = await checkPayloadEncryption(client, app.temporal.taskQueue, encrypts).catch(
    (err: unknown) => {
      log.warn(
        { error: (err as Error).message },
        'could not compare the encryption setting with the workers',
      );
      return {} as EncryptionCheck;
    },
  );
  if (check.problem) throw new ConfigError([check.problem]);
  if (check.warning) log.warn(check.warning);
}

async function main(): Promise<void> {
  let intake: RunningIntake;
  try {
    intake = await runIntake(process.env);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message.replace('invalid configuration', 'invalid intake configuration'));
      console.error('See docs/operations.md "Record a shipment" for the variables.');
      process.exit(2);
    }
    throw err;
  }
  let closing = false;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      if (closing) return;
      closing = true;
      console.error(`intake: ${signal}, closing`);
      intake.close().then(
        () => process.exit(0),
        (err: unknown) => {
          console.error(`intake: close failed: ${(err as Error).message}`);
          process.exit(1);
        },
      );
    });
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`intake failed: ${(err as Error)?.message ?? err}`);
    process.exit(1);
  });
}
