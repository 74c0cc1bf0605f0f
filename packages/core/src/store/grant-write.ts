import type { AuditEvent } from '../domain/audit.js';
import type { Grant } from '../domain/grant.js';
import type { GrantWrite, StoreTx } from '../ports/store.js';

/**
 * What `Store.writeGrant` stands for, inside a transaction: the reference a one-step implementation must match,
 * and the path a store takes when its shortcut cannot (or has no shortcut).
 */
export async function applyGrantWrite(tx: StoreTx, write: GrantWrite): Promise<{ grant: Grant; events: AuditEvent[] }> {
  const grant = await tx.updateGrant(write.grant, write.expectedVersion);
  for (const [name, sealed] of Object.entries(write.putSecrets ?? {})) await tx.putSecret(grant.providerId, grant.id, name, sealed);
  if (write.destroySecrets) await tx.deleteSecrets(grant.providerId, grant.id);
  const events: AuditEvent[] = [];
  for (const draft of write.audit) events.push(await tx.appendAudit(draft));
  return { grant, events };
}
