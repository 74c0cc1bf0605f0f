/**
 * Who may come in: a person whose IdP groups map to at least one jitadmin role and who is on the provider's
 * roster (an active technician). An admin can put someone on the roster by email before their first sign-in
 * (an invitation: subject `invite:<email>`); the first sign-in binds the IdP subject to that entry, and only
 * when the IdP vouches for the address (`email_verified`, or Entra ID's `xms_edov`): an IdP that lets people
 * type their own email must not let them claim someone else's invitation.
 */
import { withoutBidiControls, type Actor, type JitAdminService, type Store, type Technician } from '@jitadmin/core';
import { rolesForGroups, type AppRoleName } from '../config.js';

export const INVITE_PREFIX = 'invite:';

export interface RosterSettings {
  providerId: string;
  roleGroups: Record<AppRoleName, string[]>;
  groupsClaim: string;
  subjectClaim: string;
}

export type Admission = { ok: true; technician: Technician } | { ok: false; reason: string };

function stringList(value: unknown): string[] {
  const items = Array.isArray(value) ? value : typeof value === 'string' ? [value] : [];
  return items.filter((g): g is string => typeof g === 'string' && g.length > 0 && g.length <= 256).slice(0, 500);
}

const isTrue = (value: unknown) => value === true || value === 'true' || value === 1;

/**
 * The email address the IdP vouches for, lower-cased: the `email` claim with `email_verified` true (OpenID
 * Connect), or with `xms_edov` true (Entra ID's "email domain owner verified" optional claim). Otherwise null.
 */
export function verifiedEmail(claims: Record<string, unknown>): string | null {
  const email = claims.email;
  if (typeof email !== 'string' || !/^[^@\s]+@[^@\s]+$/.test(email)) return null;
  return isTrue(claims.email_verified) || isTrue(claims.xms_edov) ? email.toLowerCase() : null;
}

export function setupActor(providerId: string): Actor {
  return { kind: 'system', providerId, name: 'setup' };
}

export async function admit(
  deps: { store: Store; jit: Pick<JitAdminService, 'updateTechnician' | 'rebindTechnicianSubject'> },
  settings: RosterSettings,
  claims: Record<string, unknown>,
): Promise<Admission> {
  const subject = claims[settings.subjectClaim];
  if (typeof subject !== 'string' || subject.length === 0 || subject.length > 512 || subject.startsWith(INVITE_PREFIX)) {
    return { ok: false, reason: `The identity provider sent no usable "${settings.subjectClaim}" claim.` };
  }
  const emailClaim = [claims.email, claims.preferred_username, claims.upn].find((v) => typeof v === 'string' && /^[^@\s]+@[^@\s]+$/.test(v));
  if (typeof emailClaim !== 'string') return { ok: false, reason: 'The identity provider sent no email address.' };
  const email = emailClaim.toLowerCase();
  // The IdP's name goes on pages: without bidirectional controls, which could make it read as someone else's.
  const name = typeof claims.name === 'string' ? withoutBidiControls(claims.name).trim() : '';
  const displayName = (name || email).slice(0, 200);
  const groups = stringList(claims[settings.groupsClaim]);
  const roles = rolesForGroups(settings.roleGroups, groups);
  if (roles.length === 0) {
    return { ok: false, reason: 'Your account is in none of the groups that give access to jitadmin.' };
  }
  const bound = await deps.store.findTechnicianBySubject(settings.providerId, subject);
  // An invitation is matched only on an email address the IdP vouches for (email_verified).
  const vouched = verifiedEmail(claims);
  const invited = bound || !vouched ? null : ((await deps.store.findTechnicianBySubject(settings.providerId, `${INVITE_PREFIX}${vouched}`)) ?? null);
  const technician = bound ?? invited;
  if (!technician) {
    return {
      ok: false,
      reason: vouched
        ? 'You are not on the roster. Ask an administrator to add you.'
        : 'You are not on the roster. Ask an administrator to add you. (An invitation matches only an email address your identity provider marks as verified.)',
    };
  }
  if (!technician.active) return { ok: false, reason: 'Your roster entry is inactive. Ask an administrator.' };
  const setup = setupActor(settings.providerId);
  if (invited) {
    // The first sign-in binds the invitation to this subject, audited; a second sign-in racing it finds the
    // invitation gone (expectedSubject) and is refused.
    await deps.jit.rebindTechnicianSubject(setup, invited.id, { subject, expectedSubject: invited.subject, reason: 'first sign-in (invitation)' });
  }
  // The IdP decides name, email, groups and roles at each sign-in; never the subject.
  const updated = await deps.jit.updateTechnician(setup, technician.id, { email, displayName, groups, appRoles: roles });
  return { ok: true, technician: updated };
}

/** Puts the bootstrap admins on the roster (as invitations) unless someone with that email is there already. */
export async function inviteBootstrapAdmins(
  deps: { store: Store; jit: Pick<JitAdminService, 'createTechnician'> },
  providerId: string,
  emails: readonly string[],
): Promise<void> {
  if (emails.length === 0) return;
  const existing = new Set((await deps.store.listTechnicians(providerId)).map((t) => t.email.toLowerCase()));
  for (const email of emails) {
    if (existing.has(email)) continue;
    await deps.jit.createTechnician(setupActor(providerId), {
      subject: `${INVITE_PREFIX}${email}`,
      email,
      displayName: email,
      groups: [],
      appRoles: ['admin'],
      active: true,
    });
  }
}
