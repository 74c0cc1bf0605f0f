import { roleDisplayName } from '@jitadmin/core';

/** The Entra ID role templates the rule form offers (ids are stable across tenants), named by core's catalogue. */
const FORM_ROLE_IDS = [
  '62e90394-69f5-4237-9190-012177145e10', // Global Administrator
  'fe930be7-5e62-47db-91af-98c3a49a38b1', // User Administrator
  '29232cdf-9323-42fd-ade2-1d097af3e4de', // Exchange Administrator
  '194ae4cb-b126-40b2-bd5b-6091b380977d', // Security Administrator
  '729827e3-9c14-49f7-bb1b-9608f156bbb8', // Helpdesk Administrator
  'e8611ab8-c189-46e8-94e1-60213ab1f814', // Privileged Role Administrator
  'c4e39bd9-1100-46d3-8c65-fb160da0071f', // Authentication Administrator
  'f2ef992c-3afb-46b9-b7cf-a126ee74c451', // Global Reader
  'f28a1f50-f6e7-4571-818b-6a12f2af6b6c', // SharePoint Administrator
  '69091246-20e8-4a56-aa4d-066075b2a7a8', // Teams Administrator
  '3a2c62db-5318-420d-8d74-23affee5d9d5', // Intune Administrator
  'b1be1c3e-b65d-4f19-8427-f6fa0d97feb9', // Conditional Access Administrator
  '5d6b6bb7-de71-4623-b4af-96380a352509', // Security Reader
] as const;

export const ROLE_NAMES: Record<string, string> = Object.fromEntries(FORM_ROLE_IDS.map((id) => [id, roleDisplayName(id)]));

/** Core's catalogue (`roleDisplayName`) knows more built-in roles than the form offers. */
export function roleName(id: string): string {
  return roleDisplayName(id);
}
