/** Command-line options of `npm run bench`. */
import type { StoreKind } from './stores.js';

export interface BenchArgs {
  json: boolean;
  quick: boolean;
  rttMs: number;
  /** Grants measured one at a time per store (half cut by revoke, half by expiry). */
  grants: number;
  /** The same on PGlite and the server (slower per grant, so fewer by default). */
  grantsDb: number;
  stores: StoreKind[] | null;
  throughputStore: StoreKind;
  throughputSeconds: number;
  workers: number;
  customers: number;
  throttle: { requests: number; windowMs: number };
  liveGrants: number;
  pgliteLiveGrants: number;
  closedServer: number;
  closedPglite: number;
  closedMemory: number;
  /** Whether claimDue also runs the store package's bench (PGlite and the server); off in --quick. */
  storeBench: boolean;
  skip: Set<'latency' | 'throughput' | 'isolation' | 'claim' | 'memory'>;
}

export const USAGE = `npm run bench -- [options]
  --json                 last line: one JSON object with every figure
  --quick                a one-minute smoke run (small sizes; not figures to record)
  --rtt N                the fake's per-call latency in ms (default 50)
  --grants N             grants measured one at a time on the memory store (default 30; quick 8)
  --grants-db N          the same on PGlite and the server (default 16; quick 6)
  --stores a,b           memory,pglite,postgres (default: all; postgres when reachable)
  --throughput-store K   store of the throughput runs (default memory)
  --seconds N            length of each throughput run (default 15; quick 4)
  --workers N            lifecycles in flight in the throughput runs (default 100; quick 30)
  --throttle R/W         the fake's per-tenant budget: R calls per W ms (default 5/5000)
  --live N               live grants in the memory-store memory child (default 10000; quick 1000)
  --pglite-live N        live grants in the PGlite and server memory children (default 200; not in --quick)
  --closed N             closed grants for claimDue on the PostgreSQL server (default 1000000; quick 20000)
  --closed-pglite N      closed grants for claimDue on PGlite (default 20000; quick 5000)
  --closed-memory N      closed grants for claimDue on the memory store (default 100000; quick 10000)
  --store-bench          run the store package's claimDue bench in --quick too (always in a full run)
  --skip latency,throughput,isolation,claim,memory`;

export function parseArgs(argv: readonly string[]): BenchArgs {
  const has = (name: string) => argv.includes(`--${name}`);
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const num = (name: string, fallback: number): number => {
    const v = value(name);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isFinite(n) || n < 0) throw new Error(`--${name} needs a non-negative number, got ${v}`);
    return n;
  };
  const quick = has('quick');
  const stores = value('stores')?.split(',').map((s) => s.trim()) ?? null;
  for (const s of stores ?? []) if (!['memory', 'pglite', 'postgres'].includes(s)) throw new Error(`unknown store ${s}`);
  const [requests, windowMs] = (value('throttle') ?? '5/5000').split('/').map(Number);
  if (!(requests! > 0 && windowMs! > 0)) throw new Error('--throttle needs R/W, e.g. 20/10000');
  const skip = new Set((value('skip') ?? '').split(',').filter(Boolean)) as BenchArgs['skip'];
  return {
    json: has('json'),
    quick,
    rttMs: num('rtt', 50),
    grants: Math.max(2, num('grants', quick ? 8 : 30)),
    grantsDb: Math.max(2, num('grants-db', quick ? 6 : 16)),
    stores: stores as StoreKind[] | null,
    throughputStore: (value('throughput-store') ?? 'memory') as StoreKind,
    throughputSeconds: num('seconds', quick ? 4 : 15),
    workers: Math.max(1, num('workers', quick ? 30 : 100)),
    customers: 100,
    throttle: { requests: requests!, windowMs: windowMs! },
    liveGrants: num('live', quick ? 1000 : 10_000),
    pgliteLiveGrants: num('pglite-live', 200),
    closedServer: num('closed', quick ? 20_000 : 1_000_000),
    closedPglite: num('closed-pglite', quick ? 5000 : 20_000),
    closedMemory: num('closed-memory', quick ? 10_000 : 100_000),
    storeBench: !quick || has('store-bench'),
    skip,
  };
}
