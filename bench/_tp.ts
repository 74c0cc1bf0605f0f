import { runThroughput } from './throughput.js';
import { startFakeEntra } from './world.js';
const { fake, close } = startFakeEntra(50);
const thr = process.argv[4] ? { requests: Number(process.argv[4]), windowMs: Number(process.argv[5] ?? 10000) } : null;
const r = await runThroughput({ store: (process.argv[2] ?? 'memory') as any, label: 'x', fake, latencyMs: Number(process.argv[3] ?? 50), throttle: thr, seconds: Number(process.env.SECS ?? 15), workers: Number(process.env.W ?? 100), customers: 100, options: JSON.parse(process.env.OPTS ?? '{}') });
console.log(JSON.stringify(r, null, 1));
close();
