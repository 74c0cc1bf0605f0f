import type { AuditDraft, AuditValue } from '../domain/audit.js';
import type { Grant } from '../domain/grant.js';
import type { Actor } from '../domain/provider.js';
import type { JitEvent } from '../ports/events.js';
import type { StoreTx } from '../ports/store.js';
import type { Context } from './context.js';

export interface AuditNote {
  action: string;
  /** Who the event is by, when not the writer (the scheduler's start, written with an approval). */
  actor?: string;
  details?: Record<string, AuditValue>;
}

/** One write of a grant: the new record, its audit events, what to tell the event sink, and its secrets. */
export interface GrantChange {
  grant: Grant;
  audit: AuditNote[];
  events?: Omit<JitEvent, 'at'>[];
  /** Sealed secrets to store with the write. */
  putSecrets?: Record<string, string>;
  /** Destroy every secret of the grant in the same transaction. */
  destroySecrets?: boolean;
  /** More writes of the same transaction (technician account, say). */
  alsoInTx?: (tx: StoreTx) => Promise<void>;
}

export function actorLabel(actor: Actor): string {
  return actor.kind === 'person' ? `technician:${actor.technicianId}` : `system:${actor.name}`;
}

function toAuditValue(value: unknown): AuditValue {
  if (value === null || typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (Array.isArray(value)) return value.map(String);
  return String(value);
}

/**
 * Writes a grant change and its audit events in one transaction, expecting the version of `before`
 * (`VERSION_CONFLICT` otherwise), then emits its events. Returns the stored grant.
 */
export async function writeGrant(ctx: Context, actor: string, before: Grant, change: GrantChange): Promise<Grant> {
  const at = ctx.nowIso();
  if (ctx.store.writeGrant && !change.alsoInTx) {
    // The same write as the transaction below, in one step where the store can (one statement on PostgreSQL).
    const { grant } = await ctx.store.writeGrant({
      grant: { ...change.grant, updatedAt: at },
      expectedVersion: before.version,
      ...(change.putSecrets ? { putSecrets: change.putSecrets } : {}),
      ...(change.destroySecrets ? { destroySecrets: true } : {}),
      audit: change.audit.map((note) => auditDraft(change.grant, actor, at, note)),
    });
    for (const event of change.events ?? []) ctx.emit(event);
    return grant;
  }
  const stored = await ctx.store.transaction(async (tx) => {
    const next = await tx.updateGrant({ ...change.grant, updatedAt: at }, before.version);
    for (const [name, sealed] of Object.entries(change.putSecrets ?? {})) {
      await tx.putSecret(next.providerId, next.id, name, sealed);
    }
    if (change.destroySecrets) await tx.deleteSecrets(next.providerId, next.id);
    if (change.alsoInTx) await change.alsoInTx(tx);
    await appendAuditNotes(tx, next, actor, at, change.audit);
    return next;
  });
  for (const event of change.events ?? []) ctx.emit(event);
  return stored;
}

function auditDraft(grant: Grant, actor: string, at: string, note: AuditNote): AuditDraft {
  const details: Record<string, AuditValue> = {};
  for (const [k, v] of Object.entries(note.details ?? {})) if (v !== undefined) details[k] = toAuditValue(v);
  return { providerId: grant.providerId, at, actor: note.actor ?? actor, action: note.action, grantId: grant.id, customerId: grant.customerId, details };
}

/** Appends a grant's audit notes, in order, inside the caller's transaction. */
export async function appendAuditNotes(tx: StoreTx, grant: Grant, actor: string, at: string, notes: readonly AuditNote[]): Promise<void> {
  for (const note of notes) await tx.appendAudit(auditDraft(grant, actor, at, note));
}

/** Event for a grant, with the fields every grant event carries. */
export function grantEvent(grant: Grant, type: JitEvent['type'], details?: JitEvent['details']): Omit<JitEvent, 'at'> {
  return {
    type,
    providerId: grant.providerId,
    grantId: grant.id,
    customerId: grant.customerId,
    technicianId: grant.technicianId,
    state: grant.state,
    ...(details ? { details } : {}),
  };
}
