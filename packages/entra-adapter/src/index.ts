/**
 * @jitadmin/entra-adapter: jitadmin's `DirectoryAdapter` for Microsoft Entra ID over Microsoft Graph v1.0,
 * with app-only tokens from MSAL (client credentials of a multi-tenant app, secret or certificate), and the
 * admin-consent URL and callback helpers for connecting customer tenants.
 *
 * ```ts
 * const directory = entraDirectory({ clientId, credential: { clientSecret } });
 * const caps = await directory.preflight(tenantId);
 * ```
 *
 * The fake Entra ID for tests lives in `@jitadmin/entra-adapter/testing`.
 *
 * @module
 */
export { entraDirectory, type EntraDirectoryAdapter, type KnownTenantCapabilities } from './entra-directory.js';
export type { EntraDirectoryOptions } from './options.js';
export type { EntraCredential } from './token-provider.js';
export type { RetrySettings } from './graph-http.js';
export {
  adminConsentUrl,
  buildAdminConsentUrl,
  parseAdminConsentCallback,
  readAdminConsentCallback,
  type AdminConsentCallback,
  type AdminConsentReply,
  type AdminConsentUrlInput,
} from './consent.js';
export { resolveTenant, type ResolveTenantOptions } from './tenant-discovery.js';
export {
  MARKER_PROPERTY,
  MARKER_VALUE,
  REQUIRED_PERMISSIONS,
  PRIVILEGED_ROLE_TEMPLATE_IDS,
  missingPermissions,
  type RequiredPermission,
} from './markers.js';
