import { z } from 'zod';
import { Guid, Id, Instant } from './common.js';

/**
 * A consent link in flight: made by an admin for one customer and the Entra ID tenant the admin expects
 * (found from the customer's domain), usable once, by the same admin (and session), until `expiresAt`.
 *
 * `id` is the SHA-256 of the link's `state` value (base64url): the store never holds the value itself, so a
 * reader of the store (or a backup) cannot complete a consent with it.
 */
export const ConsentState = z.object({
  providerId: Id,
  id: z.string().regex(/^[A-Za-z0-9_-]{43}$/, 'must be a base64url SHA-256'),
  customerId: Id,
  /** The tenant the admin expects; only this tenant's consent can connect the customer. */
  tenantId: Guid,
  /** What the admin gave to find the tenant (a domain, or the tenant id itself). */
  lookup: z.string().min(1).max(255),
  /** Who made the link; only they may complete it. */
  technicianId: Id,
  /**
   * A value derived from the admin's session when the link was made (null when made without one, e.g. with
   * an API token): the callback must arrive in a session with the same value.
   */
  sessionBinding: z.string().min(1).max(128).nullable(),
  createdAt: Instant,
  expiresAt: Instant,
  /** Set once, by the callback that used it (whatever the outcome). */
  consumedAt: Instant.nullable(),
});
export type ConsentState = z.infer<typeof ConsentState>;

/** Why a consent callback was refused (audit `customer.consent_refused`, details.reason). */
export const ConsentRefusal = z.enum([
  /** No link with this state (never made, another provider's, or garbage). */
  'unknown_state',
  'expired',
  /** The link was used already. */
  'replayed',
  /** Another admin opened it. */
  'other_admin',
  /** The same admin, but another session than the one that made it. */
  'other_session',
  /** Microsoft reported consent for another tenant than the one the link was made for. */
  'other_tenant',
  /** The tenant admin declined, or Microsoft returned an error. */
  'denied',
]);
export type ConsentRefusal = z.infer<typeof ConsentRefusal>;
