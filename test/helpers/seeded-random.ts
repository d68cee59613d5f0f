import { randomInt } from 'node:crypto';

// Chaos tests draw their randomness from a seed they print, so a failing run can be replayed with
// CHAOS_SEED=<seed>. (Replaying the seed replays the test's choices; the moments processes and servers
// reach each point still vary with the machine's load.)

/** mulberry32: a small, fast PRNG; enough for picking kill moments. Returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** CHAOS_SEED when set (a non-negative integer), else a fresh one; printed either way. */
export function chaosSeed(label: string, env: NodeJS.ProcessEnv = process.env): number {
  const given = env.CHAOS_SEED;
  if (given !== undefined && given !== '') {
    const n = Number(given);
    if (!Number.isSafeInteger(n) || n < 0)
      throw new Error(`CHAOS_SEED must be a non-negative integer, got "${given}"`);
    console.log(`${label}: CHAOS_SEED=${n} (given)`);
    return n;
  }
  const n = randomInt(2 ** 31);
  console.log(`${label}: CHAOS_SEED=${n} (replay a failure with CHAOS_SEED=${n})`);
  return n;
}
