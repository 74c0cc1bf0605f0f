/**
 * Scheduler cost: `claimDue` with many closed and 10,000 live (due) grants in the store. For PostgreSQL
 * (server and PGlite) this calls the store package's own bench (`packages/store-postgres/bench/store-bench.ts`,
 * its bulk loader and its claim loop) in a child process and reads its JSON. The memory store, which that
 * bench does not cover, is measured here the same way: `claimDue(now, 10, 1 ms lease)` repeatedly.
 */
import { createMemoryStore } from '@jitadmin/core';
import { makeGrant, T0 } from '@jitadmin/core/testing';
import { runJsonChild } from './child.js';
import { percentile } from './stats.js';
import { PG_URL } from './stores.js';

export interface ClaimDueFigure {
  backend: 'memory' | 'pglite' | 'server';
  closed: number;
  live: number;
  p50Ms: number;
  p99Ms: number;
  note?: string;
}

export interface ClaimDueResult {
  figures: ClaimDueFigure[];
  /** The store bench's own results, as it printed them. */
  storeBench: unknown;
  storeBenchSeconds: number;
  storeBenchError?: string;
}


interface StoreBenchOutput {
  results: { backend: string; metric: string; value: number; note?: string }[];
  sizes: { closedServer: number; closedPglite: number; live: number };
}

function runStoreBench(args: string[]): Promise<StoreBenchOutput> {
  return runJsonChild<StoreBenchOutput>('store bench', ['--import', 'tsx', 'packages/store-postgres/bench/store-bench.ts', '--json', ...args], {
    ...process.env,
    JITADMIN_TEST_PG_URL: PG_URL,
  });
}

/** The memory store: `live` due grants among `closed` closed ones. */
async function memoryClaimDue(closed: number, live: number, claims: number): Promise<ClaimDueFigure> {
  const store = createMemoryStore();
  const template = makeGrant({ state: 'closed' });
  for (let from = 0; from < closed; from += 1000) {
    await store.transaction(async (tx) => {
      for (let i = from; i < Math.min(closed, from + 1000); i++) {
        await tx.insertGrant({ ...template, id: `closed-${i}`, technicianId: `tech-${i % 500}`, customerId: `cust-${i % 200}` });
      }
    });
  }
  for (let from = 0; from < live; from += 1000) {
    await store.transaction(async (tx) => {
      for (let i = from; i < Math.min(live, from + 1000); i++) {
        const dueAt = new Date(T0 - i).toISOString();
        await tx.insertGrant({ ...template, id: `live-${i}`, technicianId: `live-tech-${i}`, state: 'active', dueAt });
      }
    });
  }
  const times: number[] = [];
  let now = T0 + 1;
  for (let i = 0; i < claims; i++) {
    now += 2;
    const t = performance.now();
    const got = await store.claimDue(now, 10, 1, 'bench');
    times.push(performance.now() - t);
    if (got.length !== 10) throw new Error(`memory claimDue returned ${got.length}, expected 10`);
  }
  return { backend: 'memory', closed, live, p50Ms: percentile(times, 50), p99Ms: percentile(times, 99) };
}

export async function runClaimDue(o: {
  quick: boolean;
  closedServer: number;
  closedPglite: number;
  closedMemory: number;
  live: number;
  server: boolean;
  storeBench: boolean;
}): Promise<ClaimDueResult> {
  const figures: ClaimDueFigure[] = [];
  figures.push(await memoryClaimDue(o.closedMemory, o.live, o.quick ? 100 : 300));
  const args = [
    '--closed', String(o.closedServer),
    '--closed-pglite', String(o.closedPglite),
    '--live', String(o.live),
    '--transitions', o.quick ? '20' : '50',
    '--claims', o.quick ? '100' : '300',
    ...(o.server ? [] : ['--skip-server']),
  ];
  const started = performance.now();
  let storeBench: StoreBenchOutput | null = null;
  let storeBenchError: string | undefined;
  if (o.storeBench) {
    try {
      storeBench = await runStoreBench(args);
    } catch (error) {
      storeBenchError = (error as Error).message;
    }
  }
  const storeBenchSeconds = (performance.now() - started) / 1000;
  for (const backend of ['pglite', 'server'] as const) {
    const p50 = storeBench?.results.find((r) => r.backend === backend && r.metric === 'claimDue(10) median');
    const p99 = storeBench?.results.find((r) => r.backend === backend && r.metric === 'claimDue(10) p99');
    if (!p50 || !p99) continue;
    figures.push({
      backend,
      closed: backend === 'server' ? storeBench!.sizes.closedServer : storeBench!.sizes.closedPglite,
      live: storeBench!.sizes.live,
      p50Ms: p50.value,
      p99Ms: p99.value,
      ...(p99.note ? { note: p99.note } : {}),
    });
  }
  return { figures, storeBench, storeBenchSeconds, ...(storeBenchError ? { storeBenchError } : {}) };
}
