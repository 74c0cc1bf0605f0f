/** What the adapter knows about each tenant without asking Graph (seeded by preflight, by the caller, or learnt). */
import type { TenantCapabilities } from '@jitadmin/core';

export type KnownTenantCapabilities = Partial<Pick<TenantCapabilities, 'p2' | 'tapPolicy'>>;

export class TenantCapabilityStore {
  private readonly known = new Map<string, KnownTenantCapabilities>();

  get(tenantId: string): KnownTenantCapabilities {
    return { ...this.known.get(tenantId) };
  }

  /** Merges: only the given fields change. */
  set(tenantId: string, capabilities: KnownTenantCapabilities): void {
    const next = { ...this.known.get(tenantId) };
    if (capabilities.p2 !== undefined) next.p2 = capabilities.p2;
    if (capabilities.tapPolicy !== undefined) next.tapPolicy = capabilities.tapPolicy;
    this.known.set(tenantId, next);
  }
}
