import { createHash } from 'node:crypto';
import type { AuditDraft, AuditEvent } from '../domain/audit.js';
import type { ChainVerification } from '../service/types.js';

/** JSON with object keys sorted at every level, so the same event always hashes the same. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

function hashOf(event: Omit<AuditEvent, 'hash'>): string {
  return createHash('sha256').update(event.prevHash).update('\n').update(canonicalJson(event)).digest('hex');
}

/**
 * The event that follows `previous` in a provider's chain (`previous` null: the first). Stores call this
 * inside the transaction that appends, holding the provider's chain lock.
 */
export function chainAuditEvent(previous: Pick<AuditEvent, 'seq' | 'hash'> | null, draft: AuditDraft): AuditEvent {
  const unsealed: Omit<AuditEvent, 'hash'> = {
    providerId: draft.providerId,
    seq: (previous?.seq ?? 0) + 1,
    at: draft.at,
    actor: draft.actor,
    action: draft.action,
    grantId: draft.grantId,
    customerId: draft.customerId,
    details: draft.details,
    prevHash: previous?.hash ?? '',
  };
  return { ...unsealed, hash: hashOf(unsealed) };
}

/**
 * Checks a provider's events, in `seq` order from 1: numbering without gaps, each `prevHash` equal to the
 * previous `hash`, each `hash` matching the event's content. Returns the first broken link.
 */
export function verifyChain(events: readonly AuditEvent[], start: Pick<AuditEvent, 'seq' | 'hash'> | null = null): ChainVerification {
  let prev = start;
  for (const event of events) {
    const expectedSeq = (prev?.seq ?? 0) + 1;
    if (event.seq !== expectedSeq) {
      return { ok: false, events: events.length, brokenAt: event.seq, reason: `expected seq ${expectedSeq}, found ${event.seq}` };
    }
    if (event.prevHash !== (prev?.hash ?? '')) {
      return { ok: false, events: events.length, brokenAt: event.seq, reason: 'prevHash does not match the previous event' };
    }
    const { hash, ...rest } = event;
    if (hashOf(rest) !== hash) {
      return { ok: false, events: events.length, brokenAt: event.seq, reason: 'content does not match its hash' };
    }
    prev = event;
  }
  return { ok: true, events: events.length, brokenAt: null, reason: null };
}
