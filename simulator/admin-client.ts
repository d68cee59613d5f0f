import { request } from 'undici';
import { type CountersSnapshot } from './counters';
import { type FaultConfig } from './faults';
import { type SeedOptions } from './fr-store';
import { type GeneratorOptions, type GeneratorStatus } from './generator';
import { type InventorySeed, type SimVariant } from './inventory-store';
import { type SimFr } from './model';
import { type SimulatorBehavior } from './options';
import { type RateLimitConfig } from './rate-limiter';
import { type FrView } from './state';

// Typed client of the admin API for tests and benchmarks running in another process than the simulator.

export class SimulatorAdminError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export class SimulatorAdminClient {
  private readonly base: string;

  /** `adminUrl` as reported by startSimulator or the CLI, e.g. http://127.0.0.1:8787/__admin */
  constructor(adminUrl: string) {
    this.base = adminUrl.replace(/\/+$/, '');
  }

  health(): Promise<{ ok: boolean; frs: number }> {
    return this.call('GET', '/health');
  }
  seed(o: SeedOptions): Promise<{ ids: number[] }> {
    return this.call('POST', '/seed', o);
  }
  startGenerator(o: GeneratorOptions): Promise<GeneratorStatus> {
    return this.call('POST', '/generator', o);
  }
  stopGenerator(): Promise<GeneratorStatus> {
    return this.call('DELETE', '/generator');
  }
  generatorStatus(): Promise<GeneratorStatus> {
    return this.call('GET', '/generator');
  }
  getFr(id: number): Promise<FrView> {
    return this.call('GET', `/fulfillment-requests/${id}`);
  }
  cancel(id: number, reason?: string): Promise<SimFr> {
    return this.call('POST', `/fulfillment-requests/${id}/cancel`, reason === undefined ? {} : { reason });
  }
  void(id: number, reason?: string): Promise<SimFr> {
    return this.call('POST', `/fulfillment-requests/${id}/void`, reason === undefined ? {} : { reason });
  }
  acknowledgeAsSomeoneElse(id: number): Promise<SimFr> {
    return this.call('POST', `/fulfillment-requests/${id}/acknowledge`);
  }
  setFaults(cfg: FaultConfig): Promise<FaultConfig> {
    return this.call('PUT', '/faults', cfg);
  }
  clearFaults(): Promise<FaultConfig> {
    return this.call('DELETE', '/faults');
  }
  setRateLimit(patch: Partial<RateLimitConfig>): Promise<RateLimitConfig> {
    return this.call('PATCH', '/rate-limit', patch);
  }
  setBehavior(patch: Partial<SimulatorBehavior>): Promise<SimulatorBehavior> {
    return this.call('PATCH', '/behavior', patch);
  }
  seedInventory(o: InventorySeed): Promise<{ variants: number }> {
    return this.call('POST', '/inventory/seed', o);
  }
  /** The variant Flxpoint holds for a SKU (any configured source). */
  inventoryVariant(sku: string): Promise<SimVariant> {
    return this.call('GET', `/inventory/variants/${encodeURIComponent(sku)}`);
  }
  counters(): Promise<CountersSnapshot> {
    return this.call('GET', '/counters');
  }
  resetCounters(): Promise<{ ok: boolean }> {
    return this.call('DELETE', '/counters');
  }
  reset(): Promise<{ ok: boolean; frs: number }> {
    return this.call('POST', '/reset');
  }

  private async call<T>(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body?: unknown,
  ): Promise<T> {
    const res = await request(`${this.base}${path}`, {
      method,
      ...(body === undefined
        ? {}
        : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) {
      let msg = text;
      try {
        msg = (JSON.parse(text) as { error?: string }).error ?? text;
      } catch {
        // not JSON: keep the text
      }
      throw new SimulatorAdminError(
        res.statusCode,
        `Simulator admin ${method} ${path} answered ${res.statusCode}: ${msg}`,
      );
    }
    return JSON.parse(text) as T;
  }
}
