/**
 * Application permissions our app asks for (GRAPH.md), which the fake consents by default.
 *
 * `Policy.Read.AuthenticationMethod` is added to GRAPH.md's list: Graph answers 403 to
 * `GET /policies/authenticationMethodsPolicy/authenticationMethodConfigurations/TemporaryAccessPass`
 * without it (Microsoft's permission table for that call names only it and Policy.ReadWrite.AuthenticationMethod).
 */
export const FAKE_ALL_PERMISSIONS: readonly string[] = [
  'User.ReadWrite.All',
  'RoleManagement.ReadWrite.Directory',
  'RoleAssignmentSchedule.ReadWrite.Directory',
  'UserAuthenticationMethod.ReadWrite.All',
  'User.DeleteRestore.All',
  'AuditLog.Read.All',
  'Directory.Read.All',
  'Policy.Read.AuthenticationMethod',
];

export interface RoleTemplate {
  id: string;
  displayName: string;
  description: string;
  /** Marked PRIVILEGED in Microsoft's role list (not part of the v1.0 schema, so Graph never returns it). */
  privileged: boolean;
}

/** Built-in directory role templates: the 13 of GRAPH.md first, then a few more a tenant always has. */
export const ROLE_TEMPLATES: readonly RoleTemplate[] = [
  { id: '62e90394-69f5-4237-9190-012177145e10', displayName: 'Global Administrator', description: 'Can manage all aspects of Microsoft Entra ID and Microsoft services that use Microsoft Entra identities.', privileged: true },
  { id: 'fe930be7-5e62-47db-91af-98c3a49a38b1', displayName: 'User Administrator', description: 'Can manage all aspects of users and groups, including resetting passwords for limited admins.', privileged: true },
  { id: '29232cdf-9323-42fd-ade2-1d097af3e4de', displayName: 'Exchange Administrator', description: 'Can manage all aspects of the Exchange product.', privileged: false },
  { id: '194ae4cb-b126-40b2-bd5b-6091b380977d', displayName: 'Security Administrator', description: 'Can read security information and reports, and manage configuration in Microsoft Entra ID and Office 365.', privileged: true },
  { id: '729827e3-9c14-49f7-bb1b-9608f156bbb8', displayName: 'Helpdesk Administrator', description: 'Can reset passwords for non-administrators and Helpdesk Administrators.', privileged: true },
  { id: 'e8611ab8-c189-46e8-94e1-60213ab1f814', displayName: 'Privileged Role Administrator', description: 'Can manage role assignments in Microsoft Entra ID, and all aspects of Privileged Identity Management.', privileged: true },
  { id: 'c4e39bd9-1100-46d3-8c65-fb160da0071f', displayName: 'Authentication Administrator', description: 'Can access to view, set and reset authentication method information for any non-admin user.', privileged: true },
  { id: 'f2ef992c-3afb-46b9-b7cf-a126ee74c451', displayName: 'Global Reader', description: 'Can read everything that a Global Administrator can, but not update anything.', privileged: true },
  { id: 'f28a1f50-f6e7-4571-818b-6a12f2af6b6c', displayName: 'SharePoint Administrator', description: 'Can manage all aspects of the SharePoint service.', privileged: false },
  { id: '69091246-20e8-4a56-aa4d-066075b2a7a8', displayName: 'Teams Administrator', description: 'Can manage the Microsoft Teams service.', privileged: false },
  { id: '3a2c62db-5318-420d-8d74-23affee5d9d5', displayName: 'Intune Administrator', description: 'Can manage all aspects of the Intune product.', privileged: true },
  { id: 'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9', displayName: 'Conditional Access Administrator', description: 'Can manage Conditional Access capabilities.', privileged: true },
  { id: '5d6b6bb7-de71-4623-b4af-96380a352509', displayName: 'Security Reader', description: 'Can read security information and reports in Microsoft Entra ID and Office 365.', privileged: true },
  { id: '88d8e3e3-8f55-4a1e-953a-9b9898b8876b', displayName: 'Directory Readers', description: 'Can read basic directory information. Commonly used to grant directory read access to applications and guests.', privileged: false },
  { id: '966707d0-3269-4727-9be2-8c3a10f19b9d', displayName: 'Password Administrator', description: 'Can reset passwords for non-administrators and Password Administrators.', privileged: true },
  { id: '7be44c8a-adaf-4e2a-84d6-ab2649e08a13', displayName: 'Privileged Authentication Administrator', description: 'Can access to view, set and reset authentication method information for any user (admin or non-admin).', privileged: true },
  { id: '9b895d92-2cd3-44c7-9d02-a6ac2d5ea5c3', displayName: 'Application Administrator', description: 'Can create and manage all aspects of app registrations and enterprise apps.', privileged: true },
  { id: 'b0f54661-2d74-4c50-afa3-1ec803f12efe', displayName: 'Billing Administrator', description: 'Can perform common billing related tasks like updating payment information.', privileged: false },
  { id: '4a5d8f65-41da-4de4-8968-e035b65339cf', displayName: 'Reports Reader', description: 'Can read sign-in and audit reports.', privileged: false },
];

/** Role template ids by a short name, for tests. */
export const ROLE_TEMPLATE_IDS = {
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

/** Service plan that marks Entra ID P2 in `GET /subscribedSkus`. */
export const AAD_PREMIUM_P2_PLAN = { servicePlanId: 'eec0eb4f-6444-4f95-aba0-50c24d67f998', servicePlanName: 'AAD_PREMIUM_P2' };
export const AAD_PREMIUM_P1_PLAN = { servicePlanId: '41781fb2-bc02-4b7c-bd55-b576c07bb09d', servicePlanName: 'AAD_PREMIUM' };

export const GRAPH_ORIGIN = 'https://graph.microsoft.com';
export const GRAPH_BASE = 'https://graph.microsoft.com/v1.0';
export const LOGIN_ORIGIN = 'https://login.microsoftonline.com';
