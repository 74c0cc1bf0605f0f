/**
 * The Graph resource types the adapter reads and writes, from `@microsoft/microsoft-graph-types` (the same
 * v1.0 schema as Microsoft's CSDL). Type-only: nothing of that package is loaded at run time.
 */
export type {
  Organization as OrganizationDetails,
  PasswordProfile,
  SubscribedSku,
  TemporaryAccessPassAuthenticationMethod,
  TemporaryAccessPassAuthenticationMethodConfiguration,
  UnifiedRoleAssignment,
  UnifiedRoleAssignmentSchedule,
  UnifiedRoleAssignmentScheduleRequest,
  UnifiedRoleDefinition,
  User,
} from '@microsoft/microsoft-graph-types';
