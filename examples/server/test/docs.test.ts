/** The server's docs stay true to the code: every permission the adapter checks is in the Entra setup page. */
import { readFileSync } from 'node:fs';
import { REQUIRED_PERMISSIONS } from '@jitadmin/entra-adapter';
import { describe, expect, it } from 'vitest';

const doc = (name: string) => readFileSync(new URL(`../../../docs/${name}`, import.meta.url), 'utf8');

describe('docs', () => {
  it('entra-setup lists every permission the preflight checks', () => {
    const page = doc('entra-setup.md');
    for (const permission of REQUIRED_PERMISSIONS) expect(page, permission).toContain(`\`${permission}\``);
  });

  it('operations lists every metric the server exports', async () => {
    const { createMetrics } = await import('../src/metrics.js');
    const { createMemoryStore } = await import('@jitadmin/core');
    const metrics = createMetrics({ store: createMemoryStore(), providerId: 'p', defaultMetrics: false });
    const page = doc('operations.md');
    const names = (await metrics.registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names.length).toBeGreaterThan(8);
    for (const name of names) expect(page, name).toContain(name);
  });

  it('security.md shows the route access table as it is', async () => {
    const { API_ACCESS, PAGE_ACCESS, accessTableMarkdown } = await import('../src/auth/route-access.js');
    const page = doc('security.md');
    const between = (name: string) => page.slice(page.indexOf(`<!-- route-access:${name} -->`) + `<!-- route-access:${name} -->`.length, page.indexOf(`<!-- /route-access:${name} -->`)).trim();
    expect(between('api')).toBe(accessTableMarkdown(API_ACCESS));
    expect(between('pages')).toBe(accessTableMarkdown(PAGE_ACCESS, { tokens: false }));
  });
});
