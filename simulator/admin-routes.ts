import { type IncomingMessage, type ServerResponse } from 'node:http';
import { type FaultConfig } from './faults';
import { type SeedOptions } from './fr-store';
import { type GeneratorOptions } from './generator';
import { type InventorySeed } from './inventory-store';
import { readJson, sendJson } from './http-util';
import { type SimulatorBehavior } from './options';
import { type RateLimitConfig } from './rate-limiter';
import { SimHttpError } from './sim-error';
import { type SimulatorState } from './state';

// The admin API under /__admin/: a JSON mapping onto SimulatorState for tools in another process. It needs no
// token (it is a local test fixture) and never shares a path with the Flxpoint surface. docs/simulator.md
// lists every route.

export const ADMIN_PREFIX = '/__admin';

const INVENTORY_SKU = /^\/inventory\/variants\/([^/]+)$/;
const FR_ACTION = /^\/fulfillment-requests\/(\d+)(?:\/(cancel|void|acknowledge))?$/;

export async function handleAdmin(
  state: SimulatorState,
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
): Promise<void> {
  const path = url.pathname.slice(ADMIN_PREFIX.length) || '/';
  const method = req.method ?? 'GET';
  try {
    const out = await route(state, method, path, req);
    if (out === undefined) sendJson(res, 404, { error: `No admin route ${method} ${path}` });
    else sendJson(res, 200, out);
  } catch (err) {
    const status = err instanceof SimHttpError ? err.status : err instanceof RangeError ? 400 : 500;
    sendJson(res, status, { error: err instanceof Error ? err.message : String(err) });
  }
}

async function body<T>(req: IncomingMessage): Promise<T> {
  const v = await readJson(req);
  return (v ?? {}) as T;
}

async function route(
  state: SimulatorState,
  method: string,
  path: string,
  req: IncomingMessage,
): Promise<unknown> {
  const key = `${method} ${path}`;
  switch (key) {
    case 'GET /health':
    case 'GET /':
      return { ok: true, frs: state.store.size };
    case 'GET /counters':
      return state.snapshotCounters();
    case 'DELETE /counters':
      state.resetCounters();
      return { ok: true };
    case 'POST /seed':
      return { ids: state.seed(await body<SeedOptions>(req)) };
    case 'GET /generator':
      return state.generatorStatus();
    case 'POST /generator':
      return state.startGenerator(await body<GeneratorOptions>(req));
    case 'DELETE /generator':
      return state.stopGenerator();
    case 'GET /faults':
      return state.faults.config;
    case 'PUT /faults':
      return state.setFaults(await body<FaultConfig>(req));
    case 'DELETE /faults':
      state.clearFaults();
      return state.faults.config;
    case 'GET /rate-limit':
      return state.rateLimit;
    case 'PATCH /rate-limit':
      return state.setRateLimit(await body<Partial<RateLimitConfig>>(req));
    case 'GET /behavior':
      return state.behavior;
    case 'PATCH /behavior':
      return state.setBehavior(await body<Partial<SimulatorBehavior>>(req));
    case 'GET /inventory':
      return { variants: state.inventory.size };
    case 'POST /inventory/seed':
      return { variants: state.seedInventory(await body<InventorySeed>(req)) };
    case 'POST /reset':
      state.reset();
      return { ok: true, frs: state.store.size };
  }
  const inv = INVENTORY_SKU.exec(path);
  if (inv && method === 'GET') {
    const sku = decodeURIComponent(inv[1]!);
    const found = [...new Set(state.tokens.values())]
      .map((s) => state.inventory.bySku(s, sku))
      .find((v) => v !== undefined);
    if (!found) throw new SimHttpError(404, `No inventory variant with SKU ${sku}`);
    return found;
  }
  const m = FR_ACTION.exec(path);
  if (!m) return undefined;
  const id = Number(m[1]);
  const action = m[2];
  if (action === undefined && method === 'GET') {
    const view = state.getFr(id);
    if (!view) throw new SimHttpError(404, `Fulfillment request ${id} not found`);
    return view;
  }
  if (method !== 'POST' || action === undefined) return undefined;
  const { reason } = await body<{ reason?: string }>(req);
  if (action === 'cancel') return state.cancel(id, reason);
  if (action === 'void') return state.void(id, reason);
  return state.acknowledgeAsSomeoneElse(id);
}
