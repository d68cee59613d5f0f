import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { cp, mkdir, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Reproducible installs, checked from a clean clone of HEAD (so what is committed, not this working tree):
// 1. `npm ci` (what .ci/run and scripts/ensure-deps.sh run) leaves the tree exactly as committed.
// 2. The Dockerfile's steps, as far as a machine without a Docker engine allows: its instructions are read
//    from the Dockerfile itself and replayed stage by stage in clean directories (the context filtered by
//    .dockerignore, WORKDIR /app mapped to a directory per stage), then the runtime stage's entry points
//    are started with production dependencies only and no npm on PATH, and must get as far as refusing
//    the empty configuration (exit 2). Two steps change the base image, not /app, and are not replayed
//    on this machine (see IMAGE_ONLY); an unknown step of that kind fails the test.
// The build stage's `npm ci` is the same command on the same two files as step 1's, so step 1's
// node_modules is reused for it, as Docker's layer cache would. About 2-3 minutes in all (two `npm ci`
// and a build); SKIP_CLEAN_INSTALL=1 skips it for quick local runs.

const ROOT = join(__dirname, '../..');
const SKIP = process.env.SKIP_CLEAN_INSTALL === '1';
const NPM_CI = 'npm ci --no-audit --no-fund';

/** Steps that only change the base image; replayed here they would change this machine. */
const IMAGE_ONLY: Array<{ pattern: RegExp; why: string }> = [
  {
    // Its effect (no npm, npx, corepack or yarn in the runtime image) is what PATH_WITHOUT_NPM emulates.
    pattern: /^rm -rf( \/(usr\/local|opt)\/\S+)+$/,
    why: 'removes the package managers from the base image',
  },
];
/** Parts of a step that only shrink a layer, and would wipe this machine's shared npm cache. */
const LAYER_ONLY = [/\s*&&\s*npm cache clean --force/];

/** The roles of the image (the Dockerfile's header) and how each proves it starts without dev deps. */
const ENTRY_POINTS: Record<string, { args: string[]; exit: number; output: RegExp }> = {
  'dist/worker/main.js': { args: [], exit: 2, output: /invalid configuration/ },
  'dist/client/setup-schedules.js': { args: [], exit: 2, output: /invalid configuration/ },
  'dist/intake/main.js': { args: [], exit: 2, output: /invalid (intake )?configuration/ },
  'dist/codec/main.js': { args: [], exit: 2, output: /invalid (codec server )?configuration/ },
  'dist/client/cli.js': { args: ['--help'], exit: 0, output: /Usage/ },
  'dist/simulator/main.js': { args: ['--help'], exit: 0, output: /Usage/ },
};

interface Instruction {
  op: string;
  args: string;
  line: number;
}
interface Stage {
  name: string;
  image: string;
  steps: Instruction[];
}

/** The Dockerfile as stages of instructions (continuation lines joined, comments dropped). */
function parseDockerfile(text: string): { args: Record<string, string>; stages: Stage[] } {
  const args: Record<string, string> = {};
  const stages: Stage[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let line = lines[i]!;
    while (line.trimEnd().endsWith('\\') && i + 1 < lines.length) {
      line = `${line.trimEnd().slice(0, -1)} ${lines[++i]!.trim()}`;
    }
    line = line.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(\w+)\s+(.*)$/.exec(line);
    if (!m) throw new Error(`Dockerfile:${start + 1}: cannot read "${line}"`);
    const op = m[1]!.toUpperCase();
    const rest = m[2]!.replace(/\s+/g, ' ');
    if (op === 'FROM') {
      const from = /^(\S+) AS (\S+)$/i.exec(rest);
      if (!from) throw new Error(`Dockerfile:${start + 1}: every stage needs a name (FROM image AS name)`);
      stages.push({ image: from[1]!, name: from[2]!, steps: [] });
    } else if (op === 'ARG' && stages.length === 0) {
      const [name, value = ''] = rest.split('=');
      args[name!] = value;
    } else {
      const stage = stages.at(-1);
      if (!stage) throw new Error(`Dockerfile:${start + 1}: ${op} before the first FROM`);
      stage.steps.push({ op, args: rest, line: start + 1 });
    }
  }
  return { args, stages };
}

/** .dockerignore as a predicate on context-relative paths (a match on a parent directory counts). */
function dockerignore(text: string): (path: string) => boolean {
  const rules = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'))
    .map((l) => {
      const negate = l.startsWith('!');
      const pattern = l.replace(/^!/, '').replace(/^\/+|\/+$/g, '');
      const source = pattern
        .split(/(\*\*\/|\*\*|\*|\?)/)
        .map((part) =>
          part === '**/'
            ? '(?:.*/)?'
            : part === '**'
              ? '.*'
              : part === '*'
                ? '[^/]*'
                : part === '?'
                  ? '[^/]'
                  : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
        )
        .join('');
      return { negate, re: new RegExp(`^${source}$`) };
    });
  return (path) => {
    const prefixes = path.split('/').map((_, i, parts) => parts.slice(0, i + 1).join('/'));
    let excluded = false;
    for (const { negate, re } of rules) if (prefixes.some((p) => re.test(p))) excluded = !negate;
    return excluded;
  };
}

const sha = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

/** Runs a shell command; resolves with its output, rejects with it (and the exit code) on failure. */
function sh(command: string, cwd: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', command], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`"${command}" in ${cwd} exited ${code}:\n${out.slice(-4000)}`)),
    );
  });
}

/** Runs a program (not a shell) for at most 30 s; its exit code and interleaved output. */
function run(
  program: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(program, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, output }));
  });
}

describe.skipIf(SKIP)('clean install (SKIP_CLEAN_INSTALL=1 skips)', () => {
  let work: string;
  let clone: string;
  // The clone's Dockerfile: the one committed with the context it builds.
  let dockerfile = '';
  let args: Record<string, string> = {};
  let stages: Stage[] = [];
  const stageDir = (name: string) => join(work, `stage-${name}`);
  /** What step 1 installed, keyed like a layer: command and the two files it reads. */
  let installed: { key: string; nodeModules: string } | undefined;
  /** Slow steps, printed at the end: where the minutes go. */
  const timings: string[] = [];
  const layerKey = (command: string, dir: string) =>
    `${command}|${sha(join(dir, 'package.json'))}|${sha(join(dir, 'package-lock.json'))}`;

  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'clean-install-'));
    clone = join(work, 'clone');
    await sh(`git clone --quiet "${ROOT}" "${clone}"`, work);
    dockerfile = readFileSync(join(clone, 'Dockerfile'), 'utf8');
    ({ args, stages } = parseDockerfile(dockerfile));
  }, 60_000);
  afterAll(async () => {
    if (timings.length) console.log(`clean install timings:\n  ${timings.join('\n  ')}`);
    if (work) await rm(work, { recursive: true, force: true });
  }, 120_000);

  it('npm ci in a fresh clone of HEAD leaves the tree exactly as committed', async () => {
    const began = Date.now();
    await sh(NPM_CI, clone);
    timings.push(`clone: ${NPM_CI} ${((Date.now() - began) / 1000).toFixed(1)} s`);
    expect(existsSync(join(clone, 'node_modules/@temporalio/worker'))).toBe(true);
    expect(await sh('git status --porcelain --untracked-files=all', clone)).toBe('');
    expect(readFileSync(join(ROOT, '.ci/run'), 'utf8')).toContain(NPM_CI);
    installed = { key: layerKey(NPM_CI, clone), nodeModules: join(clone, 'node_modules') };
  }, 240_000);

  it('the Dockerfile has the stages the image is made of', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    const image = (s: Stage) => s.image.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? '');
    for (const stage of stages) expect(image(stage), stage.name).toMatch(/^node:\d+-/);
    // The image's Node is the one package.json asks for; the replay below runs on this machine's Node.
    const imageMajor = Number(/^node:(\d+)/.exec(image(stages[0]!))![1]);
    const engines = (
      JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } }
    ).engines.node;
    expect(imageMajor).toBeGreaterThanOrEqual(Number(/\d+/.exec(engines)![0]));
    // Every role the header lists is started below.
    const roles = [...dockerfile.matchAll(/^#\s+node (dist\/\S+\.js)/gm)].map((m) => m[1]);
    expect(roles.sort()).toEqual(Object.keys(ENTRY_POINTS).sort());
  });

  it("replays the Dockerfile's stages; the runtime stage's entry points start without dev dependencies", async () => {
    const ignored = dockerignore(readFileSync(join(clone, '.dockerignore'), 'utf8'));
    const skipped: string[] = [];
    // Stages run as BuildKit runs them: concurrently, each waiting only for the stages it copies from.
    const finished = new Map<string, Promise<void>>();
    const moved = new Set<string>();
    const replay = async (stage: Stage): Promise<void> => {
      const dir = stageDir(stage.name);
      await mkdir(dir, { recursive: true });
      const env: NodeJS.ProcessEnv = { ...process.env };
      for (const step of stage.steps) {
        const where = `Dockerfile:${step.line} (${stage.name}) ${step.op} ${step.args}`;
        let began = Date.now();
        switch (step.op) {
          case 'WORKDIR':
            expect(step.args, where).toBe('/app');
            break;
          case 'ENV': {
            const [name, ...value] = step.args.split('=');
            env[name!] = value.join('=');
            break;
          }
          case 'COPY': {
            const parts = step.args.split(' ');
            const from = parts[0]!.startsWith('--from=') ? parts.shift()!.slice('--from='.length) : undefined;
            const dest = parts.pop()!;
            expect(dest, where).toMatch(/^\.(\/|$)/);
            if (from) {
              await finished.get(from);
              began = Date.now(); // not counting the wait
            }
            for (const src of parts) {
              expect(src, `${where}: a glob; teach this test`).not.toMatch(/[*?[]/);
              let source: string;
              if (from) {
                expect(src, where).toMatch(/^\/app\//);
                source = join(stageDir(from), src.slice('/app/'.length));
              } else {
                expect(src !== '.' && ignored(src), `${where}: ${src} is excluded by .dockerignore`).toBe(
                  false,
                );
                source = join(clone, src);
              }
              expect(existsSync(source), `${where}: ${src} does not exist`).toBe(true);
              // A directory's contents go to the target, as COPY does; from the context, minus .dockerignore.
              const target =
                dest.endsWith('/') && !statSync(source).isDirectory()
                  ? join(dir, dest, basename(src))
                  : join(dir, dest);
              if (from) {
                // Moved, not copied: each stage's output is copied once (checked), and moving spares
                // copying a production node_modules.
                expect(moved.has(source), `${where}: ${src} copied twice; teach this test`).toBe(false);
                moved.add(source);
                await rename(source, target);
              } else {
                await cp(source, target, {
                  recursive: true,
                  verbatimSymlinks: true,
                  filter: (path) => !ignored(relative(clone, path)),
                });
              }
            }
            break;
          }
          case 'RUN': {
            if (IMAGE_ONLY.some(({ pattern }) => pattern.test(step.args))) {
              skipped.push(step.args);
              break;
            }
            let command = step.args;
            for (const part of LAYER_ONLY) command = command.replace(part, '');
            expect(command, `${where}: touches the image outside /app; teach this test`).not.toMatch(
              /(^|\s)\/(?!app\b)/,
            );
            const cached =
              installed !== undefined &&
              readdirSync(dir).sort().join() === 'package-lock.json,package.json' &&
              installed.key === layerKey(command, dir);
            if (cached) {
              await rename(installed!.nodeModules, join(dir, 'node_modules')); // the layer cache
              installed = undefined;
            } else {
              await sh(command, dir, env);
            }
            break;
          }
          case 'CMD':
            expect(Object.keys(ENTRY_POINTS)).toContain((JSON.parse(step.args) as string[])[1]);
            break;
          case 'USER':
          case 'EXPOSE':
            break;
          default:
            throw new Error(`${where}: this test does not know ${step.op}; teach it`);
        }
        const seconds = (Date.now() - began) / 1000;
        if (seconds >= 1)
          timings.push(`${stage.name}: ${step.op} ${step.args.slice(0, 60)} ${seconds.toFixed(1)} s`);
      }
    };
    for (const stage of stages) finished.set(stage.name, replay(stage));
    await Promise.all(finished.values());
    // The one image-only step is the one the runtime check below stands in for.
    expect(skipped).toHaveLength(1);
    for (const tool of ['npm', 'npx']) expect(skipped[0]).toContain(`/usr/local/bin/${tool}`);

    const runtime = stageDir('runtime');
    expect(readdirSync(runtime).sort()).toEqual(['dist', 'node_modules', 'package.json']);
    for (const dev of ['typescript', 'vitest', 'tsx', 'eslint']) {
      expect(existsSync(join(runtime, 'node_modules', dev)), `${dev} in the runtime image`).toBe(false);
    }
    // No npm: a PATH that holds node alone.
    const bin = join(work, 'node-only-bin');
    mkdirSync(bin);
    symlinkSync(process.execPath, join(bin, 'node'));
    const runtimeEnv = { PATH: bin, HOME: work, NODE_ENV: 'production' };
    for (const [script, expected] of Object.entries(ENTRY_POINTS)) {
      const r = await run(join(bin, 'node'), [script, ...expected.args], runtime, runtimeEnv);
      const output = r.output;
      expect(output, script).not.toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
      expect(r.status, `${script} ${expected.args.join(' ')}: ${output.slice(0, 2000)}`).toBe(expected.exit);
      expect(output, script).toMatch(expected.output);
    }
  }, 300_000);
});
