import { z } from 'zod';
import { Guid, Id, Instant, Text } from './common.js';

export const ConnectionStatus = z.enum(['pending', 'connected', 'broken']);
export type ConnectionStatus = z.infer<typeof ConnectionStatus>;

/** What a preflight found a tenant can do. */
export const TenantCapabilities = z.object({
  tokenOk: z.boolean(),
  /** Application permissions in the token's `roles` claim. */
  permissions: z.array(z.string()),
  missingPermissions: z.array(z.string()),
  /** Entra ID P2 (PIM): time-bound role assignments that Entra itself ends. */
  p2: z.boolean(),
  /** The Temporary Access Pass method policy is on for our accounts. */
  tapPolicy: z.boolean(),
  defaultDomain: z.string().nullable(),
});
export type TenantCapabilities = z.infer<typeof TenantCapabilities>;

/** The link between a customer and its Entra ID tenant. */
export const Connection = z.object({
  tenantId: Guid,
  displayName: Text(256).optional(),
  defaultDomain: z.string().min(3).max(255).nullable(),
  status: ConnectionStatus,
  consentedAt: Instant.nullable(),
  lastCheckAt: Instant.nullable(),
  /** Secret-free reason the connection is broken. */
  lastError: z.string().max(1000).nullable(),
  capabilities: TenantCapabilities.nullable(),
});
export type Connection = z.infer<typeof Connection>;

/** One customer of the provider, with at most one Entra ID tenant. */
export const Customer = z.object({
  providerId: Id,
  id: Id,
  name: Text(200).min(1),
  connection: Connection.nullable(),
  createdAt: Instant,
});
export type Customer = z.infer<typeof Customer>;
