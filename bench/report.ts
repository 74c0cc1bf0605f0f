/** Turns the phases' raw results into the report: the JSON object (figures, targets, details) and the table. */
import type { BenchArgs } from './args.js';
import type { ClaimDueResult } from './claim-due.js';
import type { IsolationResult } from './isolation.js';
import type { FakeCallCost } from './probe.js';
import type { LatencyResult } from './latency.js';
import type { MachineInfo } from './machine.js';
import type { MemoryFigure } from './memory.js';
import { percentile, round, summarize } from './stats.js';
import type { ThroughputResult } from './throughput.js';

export interface ReportInput {
  date: string;
  command: string;
  machine: MachineInfo & { cpuShare: number[]; loadAverageAfter: number[] };
  args: BenchArgs;
  latency: LatencyResult[];
  throughput: ThroughputResult[];
  claimDue: ClaimDueResult | null;
  isolation: IsolationResult | null;
  fakeCost: FakeCallCost | null;
  memory: MemoryFigure[];
  errors: string[];
  seconds: number;
}

export interface Target {
  name: string;
  store: string;
  target: string;
  value: string;
  met: boolean;
}

const median = (xs: number[]): number => percentile(xs, 50);
const r = (x: number | undefined): number | null => (x === undefined || !Number.isFinite(x) ? null : round(x));

/** The per-store latency figures (ms and multiples of the round trip). */
function latencyFigures(l: LatencyResult, rtt: number, fakeCpuMsPerCall: number | null) {
  const access = summarize(l.access);
  const cutExpiry = summarize(l.cutExpiry);
  const cutRevoke = summarize(l.cutRevoke);
  const deprov = summarize(l.deprovision);
  return {
    samples: { access: access.n, cutExpiry: cutExpiry.n, cutRevoke: cutRevoke.n },
    accessP50Ms: r(access.p50),
    accessP99Ms: r(access.p99),
    accessP50xRtt: rtt > 0 ? r(access.p50 / rtt) : null,
    accessP99xRtt: rtt > 0 ? r(access.p99 / rtt) : null,
    cutAccessP50Ms: r(cutExpiry.p50),
    cutAccessP99Ms: r(cutExpiry.p99),
    cutAccessRevokeP50Ms: r(cutRevoke.p50),
    cutAccessRevokeP99Ms: r(cutRevoke.p99),
    deprovisionP50Ms: r(deprov.p50),
    deprovisionP99Ms: r(deprov.p99),
    expiryClaimLagP99Ms: r(percentile(l.expiryClaimLag, 99)),
    graphCallsToAccess: r(median(l.provisionDepth)),
    graphCallsProvision: r(median(l.provisionCalls)),
    graphCallsDeprovision: r(median(l.deprovisionCalls)),
    graphRoundTripsDeprovision: r(median(l.deprovisionDepth)),
    tokenCalls: l.tokenCalls,
    cpuMsProvisionP50: r(median(l.provisionCpuMs)),
    cpuMsDeprovisionP50: r(median(l.deprovisionCpuMs)),
    /** CPU of a provisioning minus what the in-process fake and msw spent on its Graph calls: our code (and, on PGlite, the store). */
    ownCpuMsProvisionP50: fakeCpuMsPerCall === null ? null : r(median(l.provisionCpuMs) - fakeCpuMsPerCall * median(l.provisionCalls)),
    ownCpuMsDeprovisionP50: fakeCpuMsPerCall === null ? null : r(median(l.deprovisionCpuMs) - fakeCpuMsPerCall * median(l.deprovisionCalls)),
    /** What access would take with a whole core: the two round trips plus the CPU on the way (all of it is sequential). */
    accessIdleMachineMs: r(2 * rtt + median(l.provisionCpuMs) + (l.store === 'postgres' ? median(l.provisionStoreMs) : 0)),
    storeCallsProvision: r(median(l.provisionStoreCalls)),
    storeMsProvisionP50: r(median(l.provisionStoreMs)),
    storeCallsDeprovision: r(median(l.deprovisionStoreCalls)),
    storeMsDeprovisionP50: r(median(l.deprovisionStoreMs)),
    /** Access time not spent in the two Graph round trips nor in the store: our code, msw, the fake, waiting for a CPU. */
    otherMsProvisionP50: r(median(l.access.map((a, i) => a - 2 * rtt - (l.provisionStoreMs[i] ?? 0)))),
    provisionCallShape: l.provisionShape,
    deprovisionCallShape: l.deprovisionShape,
    provisionStoreShape: l.provisionStoreShape,
    deprovisionStoreShape: l.deprovisionStoreShape,
  };
}

export function buildReport(input: ReportInput) {
  const rtt = input.args.rttMs;
  const fakeCpu = input.fakeCost?.cpuMsPerCall ?? null;
  const byStore = Object.fromEntries(input.latency.map((l) => [l.store, latencyFigures(l, rtt, fakeCpu)]));
  const head = byStore.memory ?? Object.values(byStore)[0];
  const throttled = input.throughput.find((t) => t.label === 'throttled');
  const unthrottled = input.throughput.find((t) => t.label === 'unthrottled');
  const noLatency = input.throughput.find((t) => t.label === 'no latency');
  const claims = input.claimDue?.figures ?? [];
  const claimHead = claims.find((c) => c.backend === 'server') ?? claims.find((c) => c.backend === 'pglite') ?? claims[0];
  const memStore = input.memory.find((m) => m.store === 'memory');
  const pgliteMem = input.memory.find((m) => m.store === 'pglite');
  const serverMem = input.memory.find((m) => m.store === 'postgres');

  const targets: Target[] = [];
  for (const [store, f] of Object.entries(byStore)) {
    if (f.accessP50xRtt !== null) targets.push({ name: 'time to access p50', store, target: '≤ 2.2 × rtt', value: `${f.accessP50xRtt} × rtt (${f.accessP50Ms} ms)`, met: f.accessP50xRtt <= 2.2 });
    if (f.accessP99xRtt !== null) targets.push({ name: 'time to access p99', store, target: '≤ 3 × rtt', value: `${f.accessP99xRtt} × rtt (${f.accessP99Ms} ms)`, met: f.accessP99xRtt <= 3 });
    if (f.cutAccessP99Ms !== null) targets.push({ name: 'time to cut access p99 (expiry)', store, target: `≤ ${250 + rtt} ms`, value: `${f.cutAccessP99Ms} ms`, met: f.cutAccessP99Ms <= 250 + rtt });
    if (f.cutAccessRevokeP99Ms !== null) targets.push({ name: 'time to cut access p99 (revoke)', store, target: `≤ ${250 + rtt} ms`, value: `${f.cutAccessRevokeP99Ms} ms`, met: f.cutAccessRevokeP99Ms <= 250 + rtt });
    if (f.deprovisionP99Ms !== null) targets.push({ name: 'whole deprovisioning p99', store, target: `≤ ${250 + 4 * rtt} ms`, value: `${f.deprovisionP99Ms} ms`, met: f.deprovisionP99Ms <= 250 + 4 * rtt });
  }
  const lostGrants = input.throughput.reduce((a, t) => a + t.lost + t.leftoverAccounts, 0);
  if (input.throughput.length) targets.push({ name: 'lost grants', store: input.args.throughputStore, target: '0', value: String(lostGrants), met: lostGrants === 0 });
  for (const other of [pgliteMem, serverMem]) {
    if (other) targets.push({ name: 'resident set, idle (no fake)', store: other.store, target: '< 120 MB', value: `${other.idleNoFake.rssMb} MB`, met: other.idleNoFake.rssMb < 120 });
  }
  if (memStore) {
    targets.push({ name: 'resident set, idle (with the fake)', store: 'memory', target: '< 120 MB', value: `${memStore.idle.rssMb} MB`, met: memStore.idle.rssMb < 120 });
    targets.push({ name: 'resident set, idle (no fake)', store: 'memory', target: '< 120 MB', value: `${memStore.idleNoFake.rssMb} MB`, met: memStore.idleNoFake.rssMb < 120 });
    targets.push({ name: `resident set, ${memStore.grants} live grants`, store: 'memory', target: '< 250 MB', value: `${memStore.live.rssMb} MB`, met: memStore.live.rssMb < 250 || memStore.grants < 10_000 });
  }

  return {
    rttMs: rtt,
    graphCallsToAccess: head?.graphCallsToAccess ?? null,
    graphCallsProvision: head?.graphCallsProvision ?? null,
    graphCallsDeprovision: head?.graphCallsDeprovision ?? null,
    graphRoundTripsDeprovision: head?.graphRoundTripsDeprovision ?? null,
    tokenCallsPerGrant: head ? round(head.tokenCalls / Math.max(1, head.samples.access)) : null,
    accessP50Ms: head?.accessP50Ms ?? null,
    accessP99Ms: head?.accessP99Ms ?? null,
    accessP50xRtt: head?.accessP50xRtt ?? null,
    accessP99xRtt: head?.accessP99xRtt ?? null,
    cutAccessP50Ms: head?.cutAccessP50Ms ?? null,
    cutAccessP99Ms: head?.cutAccessP99Ms ?? null,
    cutAccessRevokeP99Ms: head?.cutAccessRevokeP99Ms ?? null,
    deprovisionP99Ms: head?.deprovisionP99Ms ?? null,
    throughputThrottledPerS: throttled ? round(throttled.perSecond) : null,
    throughputUnthrottledPerS: unthrottled ? round(unthrottled.perSecond) : null,
    throughputNoLatencyPerS: noLatency ? round(noLatency.perSecond) : null,
    cpuMsPerLifecycle: noLatency ? round(noLatency.cpuMsPerLifecycle) : unthrottled ? round(unthrottled.cpuMsPerLifecycle) : null,
    lostGrants: input.throughput.length ? lostGrants : null,
    fakeCpuMsPerGraphCall: input.fakeCost ? round(input.fakeCost.cpuMsPerCall) : null,
    otherTenantAccessWhileThrottledMs: input.isolation ? round(input.isolation.adapterWaits.otherTenantAccessMs) : null,
    claimDueP99Ms: claimHead ? round(claimHead.p99Ms) : null,
    claimDueBackend: claimHead ? `${claimHead.backend} (${claimHead.closed} closed, ${claimHead.live} live)` : null,
    rssIdleMb: memStore?.idle.rssMb ?? null,
    rssLiveMb: memStore?.live.rssMb ?? null,
    rssIdleNoFakeMb: memStore?.idleNoFake.rssMb ?? null,
    rssNodeOnlyMb: memStore?.nodeOnly.rssMb ?? null,
    rssIdlePgliteMb: pgliteMem?.idle.rssMb ?? null,
    rssIdleNoFakePgliteMb: pgliteMem?.idleNoFake.rssMb ?? null,
    rssIdleNoFakeServerMb: serverMem?.idleNoFake.rssMb ?? null,
    headlineStore: head ? (byStore.memory ? 'memory' : Object.keys(byStore)[0]) : null,
    date: input.date,
    command: input.command,
    machine: input.machine,
    seconds: round(input.seconds),
    targets,
    byStore,
    throughput: input.throughput.map((t) => ({
      ...t,
      perSecond: round(t.perSecond),
      seconds: round(t.seconds),
      cpuMsPerLifecycle: round(t.cpuMsPerLifecycle),
      accessP50Ms: r(t.accessP50Ms),
      accessP99Ms: r(t.accessP99Ms),
      closeP99Ms: r(t.closeP99Ms),
    })),
    claimDue: claims.map((c) => ({ ...c, p50Ms: round(c.p50Ms), p99Ms: round(c.p99Ms) })),
    isolation: input.isolation,
    storeBenchSeconds: input.claimDue ? round(input.claimDue.storeBenchSeconds) : null,
    memory: input.memory,
    errors: input.errors,
  };
}

export type Report = ReturnType<typeof buildReport>;

function table(rows: (string | number | null)[][], out: (line: string) => void): void {
  const cells = rows.map((row) => row.map((c) => (c === null ? '–' : String(c))));
  const widths = cells[0]!.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  for (const [n, row] of cells.entries()) {
    out(row.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
    if (n === 0) out(widths.map((w) => '-'.repeat(w)).join('  '));
  }
}

export function printTable(rep: Report, out: (line: string) => void): void {
  const m = rep.machine;
  out(`jitadmin bench, ${rep.date}, ${rep.seconds} s`);
  out(`machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB, node ${m.node}; load ${m.loadAverage.join(' ')} → ${m.loadAverageAfter.join(' ')}; cpu share of one core ${m.cpuShare.join(' → ')}`);
  out(`fake Entra latency (rtt): ${rep.rttMs} ms; one Graph call costs this process ${rep.fakeCpuMsPerGraphCall} ms CPU in msw and the fake`);
  out('');
  const stores = Object.keys(rep.byStore);
  if (stores.length) {
    const row = (label: string, key: keyof (typeof rep.byStore)[string]) => [label, ...stores.map((s) => rep.byStore[s]![key] as number | null)];
    table(
      [
        ['latency, one grant at a time', ...stores],
        row('time to access p50 (ms)', 'accessP50Ms'),
        row('time to access p99 (ms)', 'accessP99Ms'),
        row('  p50 × rtt', 'accessP50xRtt'),
        row('  p99 × rtt', 'accessP99xRtt'),
        row('cut access, expiry p50 (ms)', 'cutAccessP50Ms'),
        row('cut access, expiry p99 (ms)', 'cutAccessP99Ms'),
        row('cut access, revoke p50 (ms)', 'cutAccessRevokeP50Ms'),
        row('cut access, revoke p99 (ms)', 'cutAccessRevokeP99Ms'),
        row('deprovisioning to closed p99 (ms)', 'deprovisionP99Ms'),
        row('expiry claim lag p99 (ms)', 'expiryClaimLagP99Ms'),
        row('Graph round trips to access', 'graphCallsToAccess'),
        row('Graph calls, provisioning', 'graphCallsProvision'),
        row('Graph calls, deprovisioning', 'graphCallsDeprovision'),
        row('Graph round trips, deprovisioning', 'graphRoundTripsDeprovision'),
        row('token calls (all grants)', 'tokenCalls'),
        row('CPU ms, provisioning p50', 'cpuMsProvisionP50'),
        row('  of it ours (not fake/msw)', 'ownCpuMsProvisionP50'),
        row('CPU ms, deprovisioning p50', 'cpuMsDeprovisionP50'),
        row('  of it ours (not fake/msw)', 'ownCpuMsDeprovisionP50'),
        row('access with a whole core (ms)', 'accessIdleMachineMs'),
        row('store calls, provisioning', 'storeCallsProvision'),
        row('store ms, provisioning p50', 'storeMsProvisionP50'),
        row('other ms, provisioning p50', 'otherMsProvisionP50'),
        row('store calls, deprovisioning', 'storeCallsDeprovision'),
        row('store ms, deprovisioning p50', 'storeMsDeprovisionP50'),
      ],
      out,
    );
    out('');
  }
  if (rep.throughput.length) {
    table(
      [
        ['throughput', 'store', 'rtt', 'throttle', 'lifecycles/s', 'done', 'lost', '429s', 'CPU ms/lifecycle', 'access p50/p99 ms'],
        ...rep.throughput.map((t) => [
          t.label,
          t.store,
          t.latencyMs,
          t.throttle ? `${t.throttle.requests}/${t.throttle.windowMs} ms` : 'off',
          t.perSecond,
          t.completed,
          t.lost + t.leftoverAccounts,
          t.throttled429,
          t.cpuMsPerLifecycle,
          `${t.accessP50Ms} / ${t.accessP99Ms}`,
        ]),
      ],
      out,
    );
    out('');
  }
  if (rep.isolation) {
    const { adapterWaits: a } = rep.isolation;
    table(
      [
        [`tenant isolation: A throttled (Retry-After ${a.retryAfterSeconds} s)`, 'B access ms', 'A access ms'],
        ['adapter waits out Retry-After (default)', round(a.otherTenantAccessMs), round(a.throttledAccessMs)],
      ],
      out,
    );
    out('');
  }
  if (rep.claimDue.length) {
    table([['claimDue(10)', 'closed', 'live', 'p50 ms', 'p99 ms'], ...rep.claimDue.map((c) => [c.backend, c.closed, c.live, c.p50Ms, c.p99Ms])], out);
    out('');
  }
  if (rep.memory.length) {
    table(
      [
        ['memory (RSS MB after gc)', 'node only', 'idle, no fake', 'idle', 'live', 'live grants', 'heap idle/live MB', 'runner'],
        ...rep.memory.map((x) => [
          x.store,
          x.nodeOnly.rssMb,
          x.idleNoFake.rssMb,
          x.idle.rssMb,
          x.live.rssMb,
          x.grants,
          `${x.idle.heapUsedMb} / ${x.live.heapUsedMb}`,
          x.runner,
        ]),
      ],
      out,
    );
    out('');
  }
  if (rep.targets.length) {
    table([['target', 'store', 'wanted', 'measured', 'met'], ...rep.targets.map((t) => [t.name, t.store, t.target, t.value, t.met ? 'yes' : 'NO'])], out);
    out('');
  }
  for (const e of rep.errors) out(`error: ${e}`);
}
