import type { Store } from '@jitadmin/core';
import type { IdentityBindingDeps } from '../auth/identity-binding.js';
import type { SessionData } from '../auth/session.js';
import type { Signer } from '../auth/signing.js';
import type { ConsentFlow } from '../connect.js';
import type { RateLimiter } from '../http/rate-limit.js';
import type { JitRuntime } from '../runtime.js';

/** What the API routers use. */
export interface ApiDeps {
  providerId: string;
  jit: JitRuntime;
  store: Store;
  signer: Signer;
  consent: ConsentFlow;
  revealLimiter: RateLimiter;
  /** See auth/identity-binding.ts. */
  onTechnicianRebound?: IdentityBindingDeps['onTechnicianRebound'];
  /** What a new API token keeps of the creating session's IdP refresh token (for the roles re-check). */
  tokenSealer: (session: SessionData | null) => (tokenId: string) => Promise<string | null>;
}
