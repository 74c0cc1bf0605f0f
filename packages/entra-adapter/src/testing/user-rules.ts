/** Graph's rules for writing users: read-only and sensitive properties, passwords, UPNs, required values. */
import { checkProperties, type GraphCall } from './graph-call.js';
import { GraphFault, badRequest, insufficientPrivileges } from './graph-error.js';
import { ON_PREMISES_EXTENSION_ATTRIBUTES_PROPERTIES, PASSWORD_PROFILE_PROPERTIES } from './schema.js';
import type { FakeUser } from './types.js';

export const READ_ONLY = [
  'id',
  'deletedDateTime',
  'createdDateTime',
  'signInSessionsValidFromDateTime',
  'lastPasswordChangeDateTime',
  'signInActivity',
  'assignedPlans',
  'provisionedPlans',
  'securityIdentifier',
  'creationType',
  'externalUserState',
  'externalUserStateChangeDateTime',
  'licenseAssignmentStates',
  'onPremisesProvisioningErrors',
  'serviceProvisioningErrors',
  'onPremisesSyncEnabled',
  'onPremisesLastSyncDateTime',
  'isManagementRestricted',
];

/** Changing these on a user who holds an admin role needs a privileged role (Graph's "sensitive actions"). */
export const SENSITIVE = ['accountEnabled', 'passwordProfile', 'userPrincipalName', 'mobilePhone', 'businessPhones', 'otherMails', 'mail', 'onPremisesImmutableId'];

export const MESSAGE_WEAK_PASSWORD =
  'The specified password does not comply with password complexity requirements. Please provide a different password.';

/** 3 of 4 character classes, 8 to 256 characters (Entra's cloud password policy). */
export function passwordIsStrong(p: string): boolean {
  if (p.length < 8 || p.length > 256) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^a-zA-Z0-9]/].filter((r) => r.test(p)).length;
  return classes >= 3;
}

const UPN_LOCAL = /^[A-Za-z0-9'.\-_!#^~]{1,64}$/;

export function checkUpn(call: GraphCall, upn: unknown, selfId: string | null): string {
  const invalid = badRequest('Property userPrincipalName is invalid.');
  if (typeof upn !== 'string') throw invalid;
  const at = upn.lastIndexOf('@');
  if (at <= 0) throw invalid;
  const local = upn.slice(0, at);
  if (!UPN_LOCAL.test(local) || local.startsWith('.') || local.endsWith('.') || local.includes('..')) throw invalid;
  if (!call.tenant.verifiedDomain(upn)) throw invalid;
  const other = [...call.tenant.users.values()].find(
    (u) => u.userPrincipalName.toLowerCase() === upn.toLowerCase() && u.id !== selfId,
  );
  if (other) {
    const message = 'Another object with the same value for property userPrincipalName already exists.';
    throw new GraphFault(400, 'Request_BadRequest', message, {
      details: [{ code: 'ObjectConflict', message, target: 'userPrincipalName' }],
    });
  }
  return upn;
}

export function checkComplexParts(body: Record<string, unknown>): void {
  const pp = body.passwordProfile;
  if (pp !== undefined && pp !== null) {
    if (typeof pp !== 'object' || Array.isArray(pp)) {
      throw badRequest(`Cannot convert the literal '${JSON.stringify(pp)}' to the expected type 'graph.passwordProfile'.`);
    }
    checkProperties(pp as Record<string, unknown>, PASSWORD_PROFILE_PROPERTIES, 'microsoft.graph.passwordProfile');
  }
  const ext = body.onPremisesExtensionAttributes;
  if (ext !== undefined && ext !== null) {
    if (typeof ext !== 'object' || Array.isArray(ext)) {
      throw badRequest(`Cannot convert the literal '${JSON.stringify(ext)}' to the expected type 'graph.onPremisesExtensionAttributes'.`);
    }
    checkProperties(
      ext as Record<string, unknown>,
      ON_PREMISES_EXTENSION_ATTRIBUTES_PROPERTIES,
      'microsoft.graph.onPremisesExtensionAttributes',
    );
  }
}

export function invalidValue(prop: string): GraphFault {
  return badRequest(`Invalid value specified for property '${prop}' of resource 'User'.`);
}

/** Graph's words for a required property left out or empty (per Microsoft, microsoftgraph/MSGraph-SDK-Code-Generator#244). */
export function requiredValue(prop: string): GraphFault {
  return badRequest(`Property ${prop} value is required but is empty or missing.`);
}

export function checkMailNickname(v: unknown): void {
  if (typeof v !== 'string' || v.length < 1 || v.length > 64 || /[\s@()\\[\]";:<>,]/.test(v)) throw invalidValue('mailNickname');
}

/** An app without a privileged role may not make sensitive changes to a user who holds an admin role. */
export function guardSensitive(call: GraphCall, user: FakeUser): void {
  if (call.tenant.settings.appHasPrivilegedRole) return;
  if (call.tenant.rolesOf(user.id).length > 0) throw insufficientPrivileges();
}
