import type { Controls } from './controls.js';
import type { SeededRandom } from './random.js';
import type { TenantState } from './tenant.js';
import type { FakeAppRegistration, FakeConsentDecision, FakeRequestLogEntry } from './types.js';

/** The whole fake's state, shared by the Graph and login handlers. */
export interface FakeState {
  now: () => number;
  rng: SeededRandom;
  /** Key of the fake's access-token signatures. */
  tokenKey: Buffer;
  apps: Map<string, FakeAppRegistration>;
  tenants: Map<string, TenantState>;
  controls: Controls;
  requests: FakeRequestLogEntry[];
  /** Calls held open by `timeout` faults; each releases its call. */
  pending: Set<() => void>;
  consentDecision: FakeConsentDecision | null;
}

/** The tenant a login URL's tenant segment names: its id or one of its verified domains. */
export function tenantBySegment(state: FakeState, segment: string): TenantState | undefined {
  const lower = segment.toLowerCase();
  for (const t of state.tenants.values()) {
    if (t.tenantId.toLowerCase() === lower) return t;
    if (t.domains.some((d) => d.isVerified && d.id.toLowerCase() === lower)) return t;
  }
  return undefined;
}
