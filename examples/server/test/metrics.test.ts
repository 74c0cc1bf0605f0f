/**
 * /metrics: in production it answers only to METRICS_TOKEN (and is off without one); a scrape reads the store
 * at most once per 15 s of the clock, however often it comes.
 */
import { createMemoryStore, generateSecretBoxKey, type Store } from '@jitadmin/core';
import { createTestClock } from '@jitadmin/core/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { createMetrics } from '../src/metrics.js';
import { startServer, type RunningServer } from '../src/server.js';
import { LOCAL_PROD } from './production-env.js';

const started: RunningServer[] = [];
afterAll(async () => {
  for (const s of started) await s.close();
});

async function production(extra: Record<string, string>): Promise<RunningServer> {
  const config = loadConfig({ ...LOCAL_PROD, SECRET_BOX_KEY: generateSecretBoxKey(), ...extra });
  const server = await startServer(config, { store: createMemoryStore(), defaultMetrics: false });
  started.push(server);
  return server;
}

describe('/metrics in production', () => {
  it('is off without METRICS_TOKEN, saying what to set', async () => {
    const server = await production({});
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(404);
    expect(await res.text()).toContain('set METRICS_TOKEN');
  });

  it('answers only the bearer token when METRICS_TOKEN is set', async () => {
    const server = await production({ METRICS_TOKEN: 'Zt4mQ8vR2xK7pL1nW9bC' });
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer Zt4mQ8vR2xK7pL1nW9bX' } })).status).toBe(401);
    const ok = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer Zt4mQ8vR2xK7pL1nW9bC' } });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('jitadmin_grants{state="active"} 0');
  });
});

describe('metrics store reads', () => {
  /** A memory store that counts the calls made to it. */
  function countingStore(): { store: Store; calls: () => number } {
    let calls = 0;
    const inner = createMemoryStore();
    const store = new Proxy(inner, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function' || !['listGrants', 'nextDueAt'].includes(String(prop))) return value;
        return (...args: unknown[]) => {
          calls += 1;
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    return { store, calls: () => calls };
  }

  it('are cached for 15 s of the clock: a burst of scrapes costs one read', async () => {
    const clock = createTestClock();
    const { store, calls } = countingStore();
    const metrics = createMetrics({ store, providerId: 'p', defaultMetrics: false, now: () => clock.now() });
    await metrics.registry.metrics();
    const perScrape = calls();
    expect(perScrape).toBe(12); // 11 states and the next due time
    for (let i = 0; i < 20; i++) await metrics.registry.metrics();
    await clock.advance(14_999);
    await metrics.registry.metrics();
    expect(calls()).toBe(perScrape);
    await clock.advance(1);
    await metrics.registry.metrics();
    expect(calls()).toBe(2 * perScrape);
  });

  it('keeps the scheduler lag growing against the clock while the due time is cached', async () => {
    const clock = createTestClock();
    const store = createMemoryStore();
    const due = clock.now() - 5_000;
    const metrics = createMetrics({ store: { ...store, nextDueAt: async () => due } as Store, providerId: 'p', defaultMetrics: false, now: () => clock.now() });
    expect(await metrics.registry.metrics()).toContain('jitadmin_scheduler_lag_seconds 5');
    await clock.advance(10_000);
    expect(await metrics.registry.metrics()).toContain('jitadmin_scheduler_lag_seconds 15');
  });
});
