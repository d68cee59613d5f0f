import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { Dispatcher } from 'undici';
import { acceptAllHandler } from './accept-all';
import { createHttpHandler } from './http-handler';
import type { FrHandler } from './types';
import { withDecisionValidation } from './with-validation';

// Turns the worker's FR_HANDLER setting into a handler: `accept-all`, `http:<url>` or `module:<path>`.
// Fails at startup with a message that says what to change, never at the first FR.

export interface LoadHandlerOptions {
  /** For `http:` specs. Headers (e.g. Authorization) come from configuration, not the spec string. */
  http?: { timeoutMs?: number; headers?: Record<string, string>; dispatcher?: Dispatcher };
  /** Base for relative `module:` paths. Default: process.cwd(). */
  cwd?: string;
}

const DEFAULT_HTTP_TIMEOUT_MS = 10_000;

/**
 * A handler spec the worker cannot use (unknown form, bad URL, module missing or of the wrong shape): a
 * configuration error, which the worker reports like every other (exit 2) before doing any work.
 */
export class HandlerConfigError extends Error {
  override readonly name = 'HandlerConfigError';
}

/**
 * The http: handler's request timeout for an activity attempt of `attemptTimeoutMs` (FR_HANDLER_TIMEOUT):
 * 5 s less (10 % less for short ones), so the handler's own "did not answer within" message, rather than
 * Temporal's start-to-close timeout, says what happened.
 */
export function httpTimeoutFor(attemptTimeoutMs: number): number {
  return Math.max(1, Math.round(attemptTimeoutMs - Math.min(5_000, attemptTimeoutMs * 0.1)));
}
const MODULE_EXTENSIONS = ['', '.ts', '.js', '.cjs'];
const USAGE =
  'expected "accept-all", "http:<url>" (e.g. http:https://wms.example.com/flxpoint/fr) or "module:<path>"';

export async function loadHandler(spec: string, options: LoadHandlerOptions = {}): Promise<FrHandler> {
  const s = spec.trim();
  if (s === 'accept-all') return acceptAllHandler;
  if (s.startsWith('http:') && !s.startsWith('http://')) {
    const url = s.slice('http:'.length);
    if (!url) throw new HandlerConfigError(`handler spec "http:" has no URL; ${USAGE}`);
    try {
      return createHttpHandler({
        url,
        timeoutMs: options.http?.timeoutMs ?? DEFAULT_HTTP_TIMEOUT_MS,
        headers: options.http?.headers,
        dispatcher: options.http?.dispatcher,
      });
    } catch (err) {
      throw new HandlerConfigError((err as Error).message);
    }
  }
  if (s.startsWith('module:'))
    return loadModuleHandler(s.slice('module:'.length), options.cwd ?? process.cwd());
  // Do not echo an http spec back: its URL may carry a token.
  const shown = /^https?:\/\//.test(s) ? `${s.split(':')[0]}://...` : JSON.stringify(s);
  const hint = /^https?:\/\//.test(s) ? ' (prefix the URL with "http:", e.g. http:https://...)' : '';
  throw new HandlerConfigError(`unknown handler spec ${shown}${hint}; ${USAGE}`);
}

async function loadModuleHandler(path: string, cwd: string): Promise<FrHandler> {
  if (!path) throw new HandlerConfigError(`handler spec "module:" has no path; ${USAGE}`);
  const base = isAbsolute(path) ? path : resolve(cwd, path);
  const file = MODULE_EXTENSIONS.map((ext) => base + ext).find((f) => existsSync(f) && statSync(f).isFile());
  if (!file) {
    throw new HandlerConfigError(
      `handler module not found: ${base} (from "module:${path}", relative paths start at ${cwd}; tried ${MODULE_EXTENSIONS.map((e) => e || '(as given)').join(', ')})`,
    );
  }

  let mod: Record<string, unknown>;
  try {
    mod = (await import(file)) as Record<string, unknown>;
  } catch (err) {
    throw new HandlerConfigError(
      `handler module ${file} failed to load: ${(err as Error).message}. ` +
        'A .ts module needs the worker to run under tsx (npm run worker); a compiled deployment should point at a .js file.',
      { cause: err },
    );
  }

  const exported = pickExport(mod);
  if (exported === undefined) {
    throw new HandlerConfigError(
      `handler module ${file} has neither a \`handler\` nor a default export (it exports: ${Object.keys(mod).join(', ') || 'nothing'}). ` +
        'Export an FrHandler ({ name, decide(fr, ctx) }) or a function returning one; see docs/handlers.md.',
    );
  }
  let candidate: unknown = exported;
  if (typeof exported === 'function' && !isHandler(exported)) {
    try {
      candidate = await (exported as () => unknown)();
    } catch (err) {
      throw new HandlerConfigError(`handler factory exported by ${file} threw: ${(err as Error).message}`, {
        cause: err,
      });
    }
  }
  if (!isHandler(candidate)) {
    throw new HandlerConfigError(
      `handler module ${file} exports ${describeValue(candidate)}, not an FrHandler: ` +
        'expected an object with a non-empty string `name` and a function `decide(fr, ctx)` (or a function returning one); see docs/handlers.md.',
    );
  }
  return withDecisionValidation(candidate);
}

/** `handler` wins over default; unwraps the extra `default` layer CommonJS/ESM interop can add. */
function pickExport(mod: Record<string, unknown>): unknown {
  let value = mod['handler'] ?? mod['default'];
  for (let i = 0; i < 2 && isObject(value) && !isHandler(value); i++) {
    const inner = value['handler'] ?? value['default'];
    if (inner === undefined) break;
    value = inner;
  }
  return value;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return (typeof v === 'object' && v !== null) || typeof v === 'function';
}

function isHandler(v: unknown): v is FrHandler {
  return (
    isObject(v) && typeof v['name'] === 'string' && v['name'].length > 0 && typeof v['decide'] === 'function'
  );
}

function describeValue(v: unknown): string {
  if (v === null) return 'null';
  if (typeof v === 'function') return 'a function';
  if (typeof v === 'object') return `an object with keys [${Object.keys(v).join(', ')}]`;
  return `a ${typeof v}`;
}
