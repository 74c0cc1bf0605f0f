import type { RoleDefinition } from '../../ports/directory.js';

/**
 * Entra ID built-in role template ids (stable across tenants; see Microsoft's "built-in roles" reference).
 * The fake directory knows these; the directory conformance suite assigns some of them.
 */
export const ROLE_IDS = {
  globalAdministrator: '62e90394-69f5-4237-9190-012177145e10',
  userAdministrator: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  exchangeAdministrator: '29232cdf-9323-42fd-ade2-1d097af3e4de',
  securityAdministrator: '194ae4cb-b126-40b2-bd5b-6091b380977d',
  helpdeskAdministrator: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  privilegedRoleAdministrator: 'e8611ab8-c189-46e8-94e1-60213ab1f814',
  authenticationAdministrator: 'c4e39bd9-1100-46d3-8c65-fb160da0071f',
  globalReader: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451',
  sharePointAdministrator: 'f28a1f50-f6e7-4571-818b-6a12f2af6b6c',
  teamsAdministrator: '69091246-20e8-4a56-aa4d-066075b2a7a8',
  intuneAdministrator: '3a2c62db-5318-420d-8d74-23affee5d9d5',
  conditionalAccessAdministrator: 'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9',
  securityReader: '5d6b6bb7-de71-4623-b4af-96380a352509',
} as const;

const role = (id: string, displayName: string, privileged: boolean, description: string): RoleDefinition => ({
  id,
  displayName,
  privileged,
  description,
});

/** The role catalogue the fake directory answers `listRoleDefinitions` with. */
export const FAKE_ROLE_DEFINITIONS: readonly RoleDefinition[] = Object.freeze([
  role(ROLE_IDS.globalAdministrator, 'Global Administrator', true, 'Can manage all aspects of Microsoft Entra ID.'),
  role(ROLE_IDS.userAdministrator, 'User Administrator', true, 'Can manage all aspects of users and groups.'),
  role(ROLE_IDS.exchangeAdministrator, 'Exchange Administrator', false, 'Can manage all aspects of Exchange Online.'),
  role(ROLE_IDS.securityAdministrator, 'Security Administrator', true, 'Can read and manage security configuration.'),
  role(ROLE_IDS.helpdeskAdministrator, 'Helpdesk Administrator', true, 'Can reset passwords for non-administrators.'),
  role(ROLE_IDS.privilegedRoleAdministrator, 'Privileged Role Administrator', true, 'Can manage role assignments.'),
  role(ROLE_IDS.authenticationAdministrator, 'Authentication Administrator', true, 'Can manage authentication methods.'),
  role(ROLE_IDS.globalReader, 'Global Reader', true, 'Can read everything a Global Administrator can, but not update.'),
  role(ROLE_IDS.sharePointAdministrator, 'SharePoint Administrator', false, 'Can manage all aspects of SharePoint.'),
  role(ROLE_IDS.teamsAdministrator, 'Teams Administrator', false, 'Can manage the Microsoft Teams service.'),
  role(ROLE_IDS.intuneAdministrator, 'Intune Administrator', true, 'Can manage all aspects of Intune.'),
  role(ROLE_IDS.conditionalAccessAdministrator, 'Conditional Access Administrator', true, 'Can manage Conditional Access.'),
  role(ROLE_IDS.securityReader, 'Security Reader', true, 'Can read security information and reports.'),
]);

/** The application permissions jitadmin's app asks for (GRAPH.md); a fake tenant consents to all by default. */
export const APP_PERMISSIONS = [
  'User.ReadWrite.All',
  'RoleManagement.ReadWrite.Directory',
  'RoleAssignmentSchedule.ReadWrite.Directory',
  'UserAuthenticationMethod.ReadWrite.All',
  'User.DeleteRestore.All',
  'AuditLog.Read.All',
  'Directory.Read.All',
] as const;
