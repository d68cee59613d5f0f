import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { temporal } from '@temporalio/proto';
import { Worker } from '@temporalio/worker';
import { describe, expect, it } from 'vitest';
import { bundle, quietRuntime, ROOT, WORKFLOWS_PATH } from './support/fr-env';

// The replay guard. test/fixtures/histories/<release>/ holds the histories of every FR workflow branch and
// the poller as recorded from that release (scripts/record-histories.sh; `e2e-*` were recorded from real
// pipeline runs against the dev server). Every release's histories must replay against the current
// workflow code: a change to the command sequence without patched() fails here. Released folders are never
// re-recorded; a new release adds its own folder. See docs/architecture.md, "Changing workflow code".

type History = temporal.api.history.v1.IHistory;
const HISTORIES = join(ROOT, 'test/fixtures/histories');

function releases(): string[] {
  return readdirSync(HISTORIES, { withFileTypes: true })
    .filter((d) => d.isDirectory() && /^v\d+\.\d+\.\d+$/.test(d.name))
    .map((d) => d.name)
    .sort();
}

function histories(release: string): { id: string; history: History }[] {
  const dir = join(HISTORIES, release);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.pb'))
    .sort()
    .map((f) => ({
      id: `${release}/${f}`,
      history: temporal.api.history.v1.History.decode(readFileSync(join(dir, f))),
    }));
}

/** Replays each history; returns `id → error name: message` for those that failed. */
async function replay(
  workflowsPath: string,
  items: { id: string; history: History }[],
): Promise<Record<string, string>> {
  quietRuntime();
  const b = await bundle(workflowsPath);
  const failures: Record<string, string> = {};
  for await (const r of Worker.runReplayHistories(
    { workflowBundle: { code: b.code } },
    items.map((h) => ({ workflowId: h.id, history: h.history })),
  )) {
    if (r.error) failures[r.workflowId] = `${r.error.name}: ${r.error.message}`;
  }
  return failures;
}

describe('workflow replay guard', () => {
  it('finds recorded releases with every FR outcome path', () => {
    expect(releases()).toContain('v0.1.0');
    const names = histories('v0.1.0').map((h) => h.id);
    expect(names.length).toBeGreaterThanOrEqual(30);
    for (const path of ['fr-accept-ship', 'fr-partial-ship', 'fr-partial-nothing', 'fr-overdue', 'poll'])
      expect(names).toContain(`v0.1.0/${path}.pb`);
  });

  for (const release of releases()) {
    it(`replays every history of ${release} against the current workflow code`, async () => {
      expect(await replay(WORKFLOWS_PATH, histories(release))).toEqual({});
    });
  }

  it('fails on a command change without patched(): every FR history of v0.1.0 is a determinism error', async () => {
    const all = histories('v0.1.0');
    const failures = await replay(join(ROOT, 'test/fixtures/workflows/fr-unpatched-change.ts'), all);
    const fr = all.filter((h) => !h.id.includes('poll')).map((h) => h.id);
    expect(Object.keys(failures).sort()).toEqual(fr.sort());
    for (const msg of Object.values(failures))
      expect(msg).toMatch(/DeterminismViolationError|[Nn]ondetermin/);
  });

  it('replays fine when the same change is guarded by patched()', async () => {
    expect(
      await replay(join(ROOT, 'test/fixtures/workflows/fr-patched-change.ts'), histories('v0.1.0')),
    ).toEqual({});
  });
});
