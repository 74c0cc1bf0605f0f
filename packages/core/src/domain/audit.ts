import { z } from 'zod';
import { Id, Instant } from './common.js';

/** A value allowed in audit details: plain facts, never secrets. */
export type AuditValue = string | number | boolean | null | string[];

/** One append-only audit record, chained by hash to the provider's previous one. */
export const AuditEvent = z.object({
  providerId: Id,
  /** 1, 2, 3 … per provider, without gaps. */
  seq: z.number().int().positive(),
  at: Instant,
  /** `technician:<id>` or `system:<name>`. */
  actor: z.string().min(1),
  /** `grant.requested`, `grant.state_changed`, `rule.updated` … */
  action: z.string().min(1),
  grantId: Id.nullable(),
  customerId: Id.nullable(),
  details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(z.string())])),
  /** Hash of the previous event of this provider ('' for the first). */
  prevHash: z.string(),
  /** SHA-256 (hex) over prevHash and this event's canonical form. */
  hash: z.string().regex(/^[0-9a-f]{64}$/),
});
export type AuditEvent = z.infer<typeof AuditEvent>;

/** What a caller appends; the store assigns `seq`, `prevHash` and `hash`. */
export type AuditDraft = Omit<AuditEvent, 'seq' | 'prevHash' | 'hash'>;
