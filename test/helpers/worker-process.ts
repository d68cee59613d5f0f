import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';

// Spawns, kills and restarts worker processes for crash tests. Children run as `node --import tsx <entry>`
// (no npx/tsx wrapper process), so a SIGKILL hits the worker itself and leaves no orphan. Every child this
// module starts is remembered: killAllWorkerProcesses() in afterEach/afterAll reaps whatever is left.

const ROOT = join(__dirname, '../..');
export const WORKER_FIXTURE = join(ROOT, 'test/fixtures/worker-process.ts');

export interface ExitInfo {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface WorkerProcessOptions {
  env: Record<string, string>;
  /** Default: test/fixtures/worker-process.ts. */
  entry?: string;
  /** Line on stdout that means "up". Default /^READY/. */
  ready?: RegExp;
  readyTimeoutMs?: number;
  /**
   * Restart the process when it dies by a signal nobody here sent (a crash hook killed it), as Kubernetes
   * would restart a pod. The env of restarts is `env` merged with `restartEnv`.
   */
  autoRestart?: { restartEnv?: Record<string, string>; maxRestarts?: number };
}

const live = new Set<ChildProcess>();
const instances = new Set<WorkerProcess>();

export class WorkerProcess {
  private child: ChildProcess | undefined;
  private exitPromise: Promise<ExitInfo> | undefined;
  private stderrBuf = '';
  private stdoutBuf = '';
  private intentional = false;
  private stopped = false;
  /** Number of times the process was (re)started. */
  starts = 0;
  /** Crashes the fixture reported (`CRASH ...` lines), in order. */
  readonly crashes: string[] = [];
  /** Kills sent by kill(). */
  kills = 0;
  private restarting: Promise<void> | undefined;
  private exitListeners: ((info: ExitInfo) => void)[] = [];
  private stderrListeners: ((chunk: string) => void)[] = [];

  constructor(private readonly opts: WorkerProcessOptions) {
    instances.add(this);
  }

  /** No more automatic restarts (used by the reaper). */
  disarm(): void {
    this.stopped = true;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last 4 KB of stderr over all runs, for failure messages. */
  stderrTail(): string {
    return this.stderrBuf.slice(-4000);
  }

  stdout(): string {
    return this.stdoutBuf;
  }

  /** Resolves when the process printed its READY line; rejects (with stderr) when it exits first. */
  async start(extraEnv: Record<string, string> = {}): Promise<void> {
    if (this.running) throw new Error('worker process already running');
    this.stopped = false;
    this.intentional = false;
    this.starts++;
    const child = spawn(process.execPath, ['--import', 'tsx', this.opts.entry ?? WORKER_FIXTURE], {
      cwd: ROOT,
      env: { ...process.env, ...this.opts.env, ...extraEnv, WORKER_START: String(this.starts) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    live.add(child);
    const ready = this.opts.ready ?? /^READY/m;
    let lineBuf = '';
    const isReady = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`worker process not ready after ${this.opts.readyTimeoutMs ?? 60_000} ms`)),
        this.opts.readyTimeoutMs ?? 60_000,
      );
      child.stdout!.on('data', (d: Buffer) => {
        const s = d.toString();
        this.stdoutBuf = (this.stdoutBuf + s).slice(-20_000);
        lineBuf += s;
        if (ready.test(lineBuf)) {
          clearTimeout(timer);
          resolve();
        }
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(
          new Error(
            `worker process exited before ready (code ${code}, signal ${signal}):\n${this.stderrTail()}`,
          ),
        );
      });
    });
    child.stderr!.on('data', (d: Buffer) => {
      const s = d.toString();
      this.stderrBuf = (this.stderrBuf + s).slice(-50_000);
      for (const m of s.matchAll(/^CRASH (.+)$/gm)) this.crashes.push(m[1]!);
      for (const l of this.stderrListeners) l(s);
    });
    this.exitPromise = new Promise<ExitInfo>((resolve) =>
      child.once('exit', (code, signal) => {
        live.delete(child);
        resolve({ code, signal });
        this.exitedWith({ code, signal });
      }),
    );
    await isReady;
  }

  /** Called with every chunk of stderr, of this and later runs. */
  onStderr(listener: (chunk: string) => void): void {
    this.stderrListeners.push(listener);
  }

  /** Called on every exit of the process, before an automatic restart is decided. */
  onExit(listener: (info: ExitInfo) => void): void {
    this.exitListeners.push(listener);
  }

  private exitedWith(info: ExitInfo): void {
    for (const l of this.exitListeners) l(info);
    this.autoRestart(info.signal);
  }

  private autoRestart(signal: NodeJS.Signals | null): void {
    const auto = this.opts.autoRestart;
    if (!auto || this.intentional || this.stopped || signal === null) return;
    if (auto.maxRestarts !== undefined && this.starts > auto.maxRestarts) return;
    this.restarting = this.start(auto.restartEnv).catch((err: unknown) => {
      this.stderrBuf += `\n[helper] automatic restart failed: ${String(err)}\n`;
    });
  }

  /** Waits for an automatic restart in progress, if any. */
  async settled(): Promise<void> {
    while (this.restarting) {
      const r = this.restarting;
      await r;
      if (this.restarting === r) this.restarting = undefined;
    }
  }

  /** Resolves with how the current process ended. */
  exited(): Promise<ExitInfo> {
    if (!this.exitPromise) throw new Error('worker process never started');
    return this.exitPromise;
  }

  /** SIGKILL: no shutdown hook runs, in-flight activities are lost mid-way. */
  async kill(): Promise<ExitInfo> {
    if (!this.running) return this.exited();
    this.intentional = true;
    this.kills++;
    this.child!.kill('SIGKILL');
    return this.exited();
  }

  /** SIGKILL and start again (an automatic restart racing with this one wins; no second child). */
  async restart(extraEnv: Record<string, string> = {}): Promise<void> {
    await this.settled();
    await this.kill();
    await this.settled();
    if (!this.running) await this.start(extraEnv);
  }

  /** Graceful stop (SIGTERM), SIGKILL after `graceMs`. Disables automatic restarts. */
  async stop(graceMs = 10_000): Promise<ExitInfo | undefined> {
    this.stopped = true;
    await this.settled();
    if (!this.child) return undefined;
    if (!this.running) return this.exited();
    this.intentional = true;
    this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child?.kill('SIGKILL'), graceMs);
    try {
      return await this.exited();
    } finally {
      clearTimeout(timer);
    }
  }
}

export function spawnWorkerProcess(opts: WorkerProcessOptions): WorkerProcess {
  return new WorkerProcess(opts);
}

/** Runs a worker entry to completion (e.g. with a bad config) and returns its exit and output. */
export function runToExit(
  entry: string,
  env: Record<string, string>,
  timeoutMs = 60_000,
): Promise<ExitInfo & { stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', entry], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${entry} still running after ${timeoutMs} ms:\n${stderr}`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      live.delete(child);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** SIGKILLs every child this module started that is still alive (afterEach/afterAll safety net). */
export async function killAllWorkerProcesses(): Promise<void> {
  for (const w of instances) w.disarm();
  instances.clear();
  const waits: Promise<unknown>[] = [];
  for (const c of live) {
    if (c.exitCode === null && c.signalCode === null) {
      waits.push(new Promise((r) => c.once('exit', r)));
      c.kill('SIGKILL');
    }
  }
  live.clear();
  await Promise.all(waits);
}
