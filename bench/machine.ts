/** What the figures were measured on, and how much of a core this process really got while they were. */
import os from 'node:os';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGb: number;
  node: string;
  platform: string;
  loadAverage: number[];
}

export function machineInfo(): MachineInfo {
  return {
    cpuModel: os.cpus()[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism?.() ?? os.cpus().length,
    memoryGb: Math.round(os.totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${os.platform()} ${os.release()}`,
    loadAverage: os.loadavg().map((l) => Math.round(l * 100) / 100),
  };
}

/**
 * The share of one core a busy loop gets over `ms` (1.0 on an idle machine). Below 1 the machine is shared,
 * and every latency and throughput figure of this run is inflated by about its inverse.
 */
export function cpuShare(ms = 500): number {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  let x = 0;
  while (performance.now() - t0 < ms) x++;
  const c = process.cpuUsage(c0);
  void x;
  return Math.round(((c.user + c.system) / 1000 / (performance.now() - t0)) * 100) / 100;
}
