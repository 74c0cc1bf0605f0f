import { z } from 'zod';
import { Guid, Id, Instant, Text } from './common.js';

export const ConnectionStatus = z.enum(['pending', 'connected', 'broken']);
export type ConnectionStatus = z.infer<typeof ConnectionStatus>;

/** A probe's answer: `unknown` when the directory could not be asked (an outage, a refused read, no permission to look). */
export const ProbeAnswer = z.enum(['yes', 'no', 'unknown']);
export type ProbeAnswer = z.infer<typeof ProbeAnswer>;

/** One preflight probe: its answer, why (secret-free), and when it was asked. */
export const ProbeResult = z.object({
  answer: ProbeAnswer,
  reason: z.string().max(500),
  at: Instant,
});
export type ProbeResult = z.infer<typeof ProbeResult>;

/** The probes of a preflight. Only `token` failing makes a connection broken; the others degrade to `unknown`. */
export const TenantProbes = z.object({
  /** A token for the tenant could be had. */
  token: ProbeResult,
  /** The token carries every permission jitadmin asks for. */
  permissions: ProbeResult,
  /** The organization and its default verified domain could be read. */
  defaultDomain: ProbeResult,
  /** Entra ID P2 (PIM). */
  p2: ProbeResult,
  /** The Temporary Access Pass method policy is on. */
  tapPolicy: ProbeResult,
});
export type TenantProbes = z.infer<typeof TenantProbes>;
export type TenantProbeName = keyof TenantProbes;

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
  /**
   * Each probe's answer, reason and time (adapters that predate them leave this out). Where a probe answered
   * `unknown`, the boolean above is the last known answer (false if none).
   */
  probes: TenantProbes.optional(),
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
