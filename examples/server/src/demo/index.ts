/**
 * Everything demo mode adds, behind one entry point that `server.ts` imports dynamically and only in demo
 * mode: a production process never loads the development IdP (`oidc-provider`), the fake Entra ID or msw.
 *
 * @module
 */
export { DEMO_AUTHORITY_PATH, demoConsentRoutes } from './consent-page.js';
export { DEMO_ENTRA_CLIENT_ID, DEMO_TENANTS, startDemoEntra, type DemoEntra } from './entra.js';
export { createDevIdp } from './idp.js';
export { DEMO_PEOPLE, DEMO_ROLE_GROUPS } from './people.js';
export { seedDemo } from './seed.js';
