/**
 * Who may come in: a person whose IdP groups map to at least one jitadmin role and who is on the provider's
 * roster (an active technician). An admin can put someone on the roster by email before their first sign-in
 * (an invitation: subject `invite:<email>`); the first sign-in binds the IdP subject to that entry.
 */
import type { Actor, JitAdminService, Store, Technician } from '@jitadmin/core';
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
  const displayName = (typeof claims.name === 'string' && claims.name.trim() ? claims.name.trim() : email).slice(0, 200);
  const groups = stringList(claims[settings.groupsClaim]);
  const roles = rolesForGroups(settings.roleGroups, groups);
  if (roles.length === 0) {
    return { ok: false, reason: 'Your account is in none of the groups that give access to jitadmin.' };
  }
  const bound = await deps.store.findTechnicianBySubject(settings.providerId, subject);
  const invited = bound ? null : ((await deps.store.findTechnicianBySubject(settings.providerId, `${INVITE_PREFIX}${email}`)) ?? null);
  const technician = bound ?? invited;
  if (!technician) return { ok: false, reason: 'You are not on the roster. Ask an administrator to add you.' };
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
