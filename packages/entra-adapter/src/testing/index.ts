/**
 * `@jitadmin/entra-adapter/testing`: a fake Microsoft Entra ID for tests. An in-memory directory with msw
 * handlers for Microsoft Graph v1.0 (`https://graph.microsoft.com/v1.0/*`) and the login endpoints
 * (`https://login.microsoftonline.com/*`): tokens, users, role assignments, PIM, Temporary Access Passes,
 * `$batch`, Graph's errors, throttling, replication delay and injected faults. See docs/adapters/fake-entra.md.
 *
 * @module
 */
export { createFakeEntra } from './fake-entra.js';
export { setupFakeEntraServer } from './server.js';
export {
  AAD_PREMIUM_P2_PLAN,
  FAKE_ALL_PERMISSIONS,
  GRAPH_BASE,
  LOGIN_ORIGIN,
  ROLE_TEMPLATE_IDS,
  ROLE_TEMPLATES,
  type RoleTemplate,
} from './constants.js';
export { roleAssignmentId } from './tenant.js';
export { USER_DEFAULT_SELECT } from './user-view.js';
export { passwordIsStrong } from './user-rules.js';
export { TAP_POLICY_MESSAGE } from './routes-tap.js';
export { DOCUMENTED_QUERY_FORMS, type QueryForm } from './query-forms.js';
export type * from './types.js';
