import { createServer, type Server } from 'node:http';

// Kubernetes probes. Liveness: the process answers. Readiness: only once every worker is polling, and
// no longer while shutting down, so a rolling update never routes work to a pod that cannot take it.

export interface HealthState {
  ready(): boolean;
  detail(): Record<string, unknown>;
}

export async function startHealthServer(
  state: HealthState,
  port: number,
  host: string,
): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/healthz' || path === '/livez') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (path === '/readyz') {
      const ok = state.ready();
      res
        .writeHead(ok ? 200 : 503, { 'content-type': 'application/json' })
        .end(JSON.stringify({ status: ok ? 'ready' : 'not ready', ...state.detail() }));
      return;
    }
    res
      .writeHead(404, { 'content-type': 'application/json' })
      .end('{"error":"not found: try /healthz or /readyz"}');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : port };
}
