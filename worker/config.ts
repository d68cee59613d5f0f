import { loadConfig as loadSlice, loadConfigOrExit as loadSliceOrExit, type Env } from '../common/config';

// The worker's slice of the one configuration (common/config): sources with their tokens, the Flxpoint
// API, the handler, the store, its HTTP ports. Under the names the worker's composition, the test
// harnesses and the benchmarks use.

export { ConfigError, type SourceConfig, type WorkerConfig as AppConfig } from '../common/config';

export const loadConfig = (env: Env) => loadSlice('worker', env);
export const loadConfigOrExit = (env: Env) => loadSliceOrExit('worker', env);
