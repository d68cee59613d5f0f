import { createServer } from 'node:net';

/**
 * A TCP port free on loopback right now: bind port 0, read what the kernel gave, release it. The one copy
 * for tests, chaos harness and benchmarks (a process started on it may still lose a race with another
 * binder; every user here starts its server right after asking).
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
  });
}
