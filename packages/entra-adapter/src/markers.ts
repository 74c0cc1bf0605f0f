/**
 * What marks an account as jitadmin's, the application permissions our app asks for, and which permission
 * each kind of Graph call needs (so a 403 names the one to grant).
 */

/**
 * The marker: every account we create carries `employeeType: 'jitadmin'`. `employeeType` is a plain,
 * filterable string property of `microsoft.graph.user` in v1.0 (no extension attribute to register, no
 * schema extension owned by one app), and `$filter=employeeType eq 'jitadmin'` needs no advanced query.
 */
export const MARKER_PROPERTY = 'employeeType' as const;
export const MARKER_VALUE = 'jitadmin';

/** Application permissions (app roles on Microsoft Graph) the jitadmin app registration requests. */
export const REQUIRED_PERMISSIONS = [
  'User.ReadWrite.All',
  'RoleManagement.ReadWrite.Directory',
  'RoleAssignmentSchedule.ReadWrite.Directory',
  'UserAuthenticationMethod.ReadWrite.All',
  'User.DeleteRestore.All',
  'AuditLog.Read.All',
  'Directory.Read.All',
  // Not in GRAPH.md's list, but Graph answers 403 to reading the TAP method policy without it (preflight).
  'Policy.Read.AuthenticationMethod',
] as const;
export type RequiredPermission = (typeof REQUIRED_PERMISSIONS)[number];

/** Broader permissions that include a narrower one (a tenant that consented the broader one lacks nothing). */
const IMPLIED_BY: Partial<Record<RequiredPermission, readonly string[]>> = {
  'Directory.Read.All': ['Directory.ReadWrite.All'],
  'User.ReadWrite.All': ['Directory.ReadWrite.All'],
  'RoleAssignmentSchedule.ReadWrite.Directory': ['RoleManagement.ReadWrite.Directory'],
  'Policy.Read.AuthenticationMethod': ['Policy.ReadWrite.AuthenticationMethod'],
};

/** The required permissions missing from a token's `roles` claim. */
export function missingPermissions(roles: readonly string[]): RequiredPermission[] {
  const held = new Set(roles);
  return REQUIRED_PERMISSIONS.filter((p) => !held.has(p) && !(IMPLIED_BY[p] ?? []).some((q) => held.has(q)));
}

/** Whether a token's roles cover `permission` (directly or through a broader one). */
export function holdsPermission(roles: readonly string[], permission: string): boolean {
  return roles.includes(permission) || (IMPLIED_BY[permission as RequiredPermission] ?? []).some((q) => roles.includes(q));
}

/**
 * Role template ids Microsoft labels privileged (`isPrivileged` in the beta API; v1.0 lacks the property,
 * so the adapter carries the list). Template ids are stable across tenants.
 */
export const PRIVILEGED_ROLE_TEMPLATE_IDS: ReadonlySet<string> = new Set([
  '62e90394-69f5-4237-9190-012177145e10', // Global Administrator
  'e8611ab8-c189-46e8-94e1-60213ab1f814', // Privileged Role Administrator
  '7be44c8a-adaf-4e2a-84d6-ab2649e08a13', // Privileged Authentication Administrator
  'fe930be7-5e62-47db-91af-98c3a49a38b1', // User Administrator
  '194ae4cb-b126-40b2-bd5b-6091b380977d', // Security Administrator
  '5f2222b1-57c3-48ba-8ad5-d4759f1fde6f', // Security Operator
  '5d6b6bb7-de71-4623-b4af-96380a352509', // Security Reader
  '729827e3-9c14-49f7-bb1b-9608f156bbb8', // Helpdesk Administrator
  '966707d0-3269-4727-9be2-8c3a10f19b9d', // Password Administrator
  'c4e39bd9-1100-46d3-8c65-fb160da0071f', // Authentication Administrator
  'f2ef992c-3afb-46b9-b7cf-a126ee74c451', // Global Reader
  '3a2c62db-5318-420d-8d74-23affee5d9d5', // Intune Administrator
  'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9', // Conditional Access Administrator
  '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', // Application Administrator
  '158c047a-c907-4556-b7ef-446551a6b5f7', // Cloud Application Administrator
  'cf1c38e5-3621-4004-a7cb-879624dced7c', // Application Developer
  '7698a772-787b-4ac8-901f-60d6b08affd2', // Cloud Device Administrator
  '8ac3fc64-6eca-42ea-9e69-59f4c7b60eb2', // Hybrid Identity Administrator
  '9360feb5-f418-4baa-8175-e2a00bac4301', // Directory Writers
  '8329153b-31d0-4727-b945-745eb3bc5f31', // Domain Name Administrator
  'be2f45a1-457d-42af-a067-6ec1fa63bc45', // External Identity Provider Administrator
  '4ba39ca4-527c-499a-b93d-d9b492c50246', // Partner Tier1 Support
  'e00e864a-17c5-4a4b-9c06-f5b95a8d5bd8', // Partner Tier2 Support
]);

/** The application permission a Graph call needs, named in `PERMISSION_MISSING` errors. */
export const PERMISSION_FOR = {
  readDirectory: 'Directory.Read.All',
  users: 'User.ReadWrite.All',
  permanentDelete: 'User.DeleteRestore.All',
  roles: 'RoleManagement.ReadWrite.Directory',
  roleSchedules: 'RoleAssignmentSchedule.ReadWrite.Directory',
  authMethods: 'UserAuthenticationMethod.ReadWrite.All',
  /** Reading the Temporary Access Pass method policy (preflight reports tapPolicy false without it). */
  authMethodPolicy: 'Policy.Read.AuthenticationMethod',
} as const;
