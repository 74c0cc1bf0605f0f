/**
 * `npm run bench`: drives the real lifecycle (core + the Entra adapter + the fake Entra ID over msw + the
 * stores) and prints time to access, time to cut access, Graph calls per grant, throughput, scheduler cost
 * and memory as a table, and with `--json` as one JSON object on the last line. See docs/performance.md.
 */
import { parseArgs, USAGE } from './args.js';
import { runClaimDue, type ClaimDueResult } from './claim-due.js';
import { runIsolation, type IsolationResult } from './isolation.js';
import { runLatency, type LatencyResult } from './latency.js';
import { fakeCallCost, type FakeCallCost } from './probe.js';
import { cpuShare, machineInfo } from './machine.js';
import { runMemory, type MemoryFigure } from './memory.js';
import { buildReport, printTable } from './report.js';
import { serverReachable, type StoreKind } from './stores.js';
import { runThroughput, type ThroughputResult } from './throughput.js';
import { startFakeEntra } from './world.js';

if (process.argv.includes('--help')) {
  console.log(USAGE);
  process.exit(0);
}
const args = parseArgs(process.argv.slice(2));
/** Progress goes to stderr, so stdout holds the table and (with --json) the JSON line only. */
const say = (line: string) => process.stderr.write(`${line}\n`);

const began = performance.now();
const date = new Date().toISOString();
const machine = machineInfo();
const shareBefore = cpuShare();
say(`bench ${date}: rtt ${args.rttMs} ms, ${machine.cores} cores, load ${machine.loadAverage.join(' ')}, cpu share ${shareBefore}`);

const reachable = await serverReachable();
const stores: StoreKind[] = (args.stores ?? ['memory', 'pglite', 'postgres']).filter((s) => s !== 'postgres' || reachable);
const { fake, close } = startFakeEntra(args.rttMs);

const latency: LatencyResult[] = [];
const throughput: ThroughputResult[] = [];
let claimDue: ClaimDueResult | null = null;
let isolation: IsolationResult | null = null;
let fakeCost: FakeCallCost | null = null;
const memory: MemoryFigure[] = [];
const errors: string[] = [];
const phase = async (name: string, fn: () => Promise<void>) => {
  const t = performance.now();
  try {
    await fn();
  } catch (error) {
    errors.push(`${name}: ${(error as Error).message}`);
    say(`  ${name} FAILED: ${(error as Error).message}`);
  }
  say(`  ${name} took ${((performance.now() - t) / 1000).toFixed(1)} s`);
};

try {
  await phase('fake call cost', async () => {
    fakeCost = await fakeCallCost(fake, args.quick ? 30 : 100);
  });
  if (!args.skip.has('latency')) {
    for (const kind of stores) {
      await phase(`latency on ${kind}`, async () => {
        latency.push(await runLatency(kind, fake, kind === 'memory' ? args.grants : args.grantsDb));
      });
    }
  }
  if (!args.skip.has('throughput')) {
    const runs = [
      { label: 'throttled', latencyMs: args.rttMs, throttle: args.throttle, seconds: args.throughputSeconds },
      { label: 'unthrottled', latencyMs: args.rttMs, throttle: null, seconds: args.throughputSeconds },
      { label: 'no latency', latencyMs: 0, throttle: null, seconds: Math.max(3, Math.round(args.throughputSeconds / 2)) },
    ];
    await phase('throughput (throttled, unthrottled, no latency)', async () => {
      await runThroughput(
        { store: args.throughputStore, fake, workers: args.workers, customers: args.customers, runs },
        (r) => {
          throughput.push(r);
          say(`    ${r.label}: ${r.perSecond.toFixed(1)}/s, ${r.completed} done, ${r.lost + r.leftoverAccounts} lost, ${r.throttled429} × 429`);
        },
      );
    });
  }
  if (!args.skip.has('isolation')) {
    await phase('tenant isolation', async () => {
      isolation = await runIsolation(fake, 2);
    });
  }
  // The claimDue child (the store package's bench) spends most of its time bulk-loading PostgreSQL, so it runs
  // alongside the memory children, which measure resident set, not time.
  const claimPhase = args.skip.has('claim')
    ? Promise.resolve()
    : phase('claimDue', async () => {
        claimDue = await runClaimDue({
          quick: args.quick,
          closedServer: args.closedServer,
          closedPglite: args.closedPglite,
          closedMemory: args.closedMemory,
          live: 10_000,
          server: reachable && stores.includes('postgres'),
          storeBench: args.storeBench,
        });
        if (claimDue.storeBenchError) errors.push(`store bench: ${claimDue.storeBenchError}`);
      });
  if (!args.skip.has('memory')) {
    await phase('memory, memory store', async () => {
      memory.push(await runMemory('memory', args.liveGrants));
    });
    // PGlite and the server hold their rows elsewhere (a WASM heap, another process): fewer grants show as much.
    for (const kind of args.quick ? [] : stores.filter((s) => s !== 'memory')) {
      await phase(`memory, ${kind}`, async () => {
        memory.push(await runMemory(kind, args.pgliteLiveGrants));
      });
    }
  }
  await claimPhase;
} finally {
  close();
}

const shareAfter = cpuShare();
const report = buildReport({
  date,
  command: `npm run bench --${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`.replace(/--$/, '').trim(),
  machine: { ...machine, cpuShare: [shareBefore, shareAfter], loadAverageAfter: machineInfo().loadAverage },
  args,
  latency,
  throughput,
  claimDue,
  isolation,
  fakeCost,
  memory,
  errors,
  seconds: (performance.now() - began) / 1000,
});
printTable(report, (line) => console.log(line));
if (args.json) console.log(JSON.stringify(report));
process.exitCode = errors.length ? 1 : 0;
