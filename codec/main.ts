import { CodecConfigError, loadCodecServerConfig } from './config';
import { startCodecServer } from './server';

// Entry point of `npm run codec-server`: configuration in codec/config.ts, the server in codec/server.ts.
async function main(): Promise<void> {
  let config;
  try {
    config = loadCodecServerConfig(process.env);
  } catch (err) {
    if (err instanceof CodecConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  for (const warning of config.warnings) console.warn(`warning: ${warning}`);

  const server = await startCodecServer({
    ...config,
    onError: (err, { method, path }) => console.error(`codec server: ${method} ${path} failed:`, err),
    onRejected: ({ status, message, method, path }) =>
      console.warn(`codec server: ${method} ${path} refused with ${status}: ${message}`),
  });
  console.log(
    `Codec server listening on ${server.url} (keys: ${config.keyRing.keyIds.join(', ')}; ` +
      `active: ${config.keyRing.activeKeyId}; origins: ${config.allowedOrigins.join(', ')}; ` +
      `auth: ${config.authToken ? 'bearer token' : 'none'})`,
  );

  const shutdown = (signal: string) => {
    console.log(`${signal}: closing codec server`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
