import { ConflictError, JitError, wrapAdapterError } from '../errors.js';
import type { Grant } from '../domain/grant.js';
import type { RoleAssignmentRef } from '../domain/grant.js';
import type { TenantRef } from '../ports/directory.js';
import type { Context } from './context.js';
import { grantEvent, type GrantChange } from './grant-writes.js';

/** The engine's write: the change, with its lease renewed, expecting the version of `before`. */
type Write = (before: Grant, change: GrantChange) => Promise<Grant>;

const secretContextOf = (grant: Pick<Grant, 'providerId' | 'id'>, name: string): string =>
  `grant:${grant.providerId}:${grant.id}:${name}`;

/**
 * Replaces the credential of an active grant whose technician lost it (step `reissue_credential`, written by
 * `GrantService.reissueCredential` with the new password already sealed, so a retry sets the same one).
 *
 * Entra lets an app change the password or end the sessions of an account only while it holds no admin role
 * (GRAPH.md), so the step strips the roles, sets the new password (where the rule uses passwords), ends every
 * session (whoever holds the old credential is signed out), issues a new Temporary Access Pass (where the rule
 * uses one; a new pass replaces the old), and assigns the roles again, until the same expiry. Every call is
 * idempotent, so running the step again after a crash or a failed call repairs it. The technician is without
 * the roles for those few calls.
 *
 * Revoke wins: the grant is read again before the roles come back and before a pass is issued; if it is no
 * longer an active grant re-issuing its credential, the step stops there and the engine carries on from what
 * is stored (the revoke's clean-up).
 */
export async function reissueCredentialStep(ctx: Context, g: Grant, tenant: TenantRef, write: Write): Promise<Grant | null> {
  const { directory, secretBox, store, options } = ctx;
  const objectId = g.account?.objectId;
  if (!g.account || !objectId || !g.expiresAt) {
    return write(g, { grant: { ...g, step: null, dueAt: g.expiresAt }, audit: [{ action: 'grant.credential_reissue_failed', details: { code: 'CREDENTIAL_UNAVAILABLE' } }] });
  }
  const wantsPassword = g.policy.credential !== 'tap';
  const wantsTap = g.policy.credential !== 'password';
  const stillOurs = async (): Promise<void> => {
    const fresh = await store.getGrant(g.providerId, g.id);
    if (!fresh || fresh.version !== g.version || fresh.state !== 'active' || fresh.step !== 'reissue_credential') {
      throw new ConflictError('VERSION_CONFLICT', 'The grant changed while its credential was being re-issued');
    }
  };
  try {
    const held = await directory.listRoleAssignments(tenant, objectId);
    await directory.removeRoleAssignments(tenant, objectId, held);
    if (wantsPassword) {
      const sealed = await store.getSecret(g.providerId, g.id, 'password');
      if (!sealed) throw new ConflictError('CREDENTIAL_UNAVAILABLE', 'The new password is no longer held');
      await directory.enableAccount(tenant, objectId, await secretBox.open(sealed, secretContextOf(g, 'password')));
    }
    await directory.revokeSessions(tenant, objectId);
    await stillOurs();
    let putSecrets: Record<string, string> | undefined;
    if (wantsTap) {
      const remaining = Math.ceil((Date.parse(g.expiresAt) - ctx.clock.now()) / 60_000);
      const lifetime = options.tapLifetimeMinutes ?? Math.min(480, Math.max(60, remaining));
      const issued = await directory.createTemporaryAccessPass(tenant, objectId, { lifetimeMinutes: Math.min(43200, lifetime), usableOnce: false });
      putSecrets = { tap: await secretBox.seal(issued.pass, secretContextOf(g, 'tap')) };
    }
    const justification = `jitadmin grant ${g.id} (credential re-issued)`;
    const assignments: RoleAssignmentRef[] = await Promise.all(
      g.roles.map((roleId) => directory.assignRole(tenant, { objectId, roleId, until: g.expiresAt, justification })),
    );
    const next: Grant = {
      ...g,
      step: null,
      attempts: 0,
      lastError: null,
      credentialRevealedAt: null,
      account: { ...g.account, assignments },
      dueAt: g.expiresAt,
      lease: null,
    };
    return await write(g, {
      grant: next,
      ...(putSecrets ? { putSecrets } : {}),
      audit: [{ action: 'grant.credential_reissued', details: { password: wantsPassword, temporaryAccessPass: wantsTap, sessionsRevoked: true } }],
      events: [grantEvent(next, 'credential_reissued', { password: wantsPassword, temporaryAccessPass: wantsTap })],
    }).then(() => null);
  } catch (raw) {
    const error = raw instanceof JitError ? raw : wrapAdapterError(directory.name, 'reissueCredential', raw);
    if (error.code === 'VERSION_CONFLICT' || (error.retryable && g.attempts + 1 < options.maxAttempts)) throw error;
    return giveUp(ctx, g, tenant, objectId, error, write);
  }
}

/**
 * A re-issue that cannot succeed (out of attempts, or refused for good): the grant keeps its roles (assigned
 * again, since the step may have stripped them) and goes on without a new credential; the technician is told
 * through the failure event and may ask again.
 */
async function giveUp(ctx: Context, g: Grant, tenant: TenantRef, objectId: string, error: JitError, write: Write): Promise<null> {
  const justification = `jitadmin grant ${g.id}`;
  const assignments = await Promise.all(
    g.roles.map((roleId) => ctx.directory.assignRole(tenant, { objectId, roleId, until: g.expiresAt, justification })),
  );
  const next: Grant = {
    ...g,
    step: null,
    attempts: 0,
    lastError: { code: error.code, message: error.message, at: ctx.nowIso() },
    account: { ...g.account!, assignments },
    dueAt: g.expiresAt,
    lease: null,
  };
  await write(g, {
    grant: next,
    destroySecrets: true,
    audit: [{ action: 'grant.credential_reissue_failed', details: { code: error.code, message: error.message } }],
    events: [grantEvent(next, 'failed', { code: error.code, step: 'reissue_credential' })],
  });
  return null;
}
