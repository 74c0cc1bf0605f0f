/** `/me` and `/tokens`: who am I, and API tokens for scripts. */
import { getAuth } from '../auth/context.js';
import type { ApiDeps } from './deps.js';
import { route, type AnyRoute } from './route.js';
import { ApiToken, ApiTokenInput, Me } from './schemas.js';

export function meRoutes(deps: ApiDeps): AnyRoute[] {
  return [
    route({
      method: 'get', path: '/me', operationId: 'me', tag: 'me', summary: 'The signed-in person, and the CSRF token for cookie-authenticated writes',
      response: Me, responseName: 'Me',
      handler: async ({ res }) => {
        const auth = getAuth(res)!;
        return { technician: auth.technician, via: auth.via, csrfToken: auth.session?.csrf ?? null };
      },
    }),
    route({
      method: 'post', path: '/tokens', operationId: 'createApiToken', tag: 'me',
      summary: 'Create a bearer API token for scripts (from a browser session only); it acts as you, while you stay on the roster',
      body: ApiTokenInput, bodyName: 'ApiTokenInput', bodyOptional: true, response: ApiToken, responseName: 'ApiToken', status: 201,
      handler: async ({ res, body }) => {
        const auth = getAuth(res)!;
        const ttlMs = body.ttlHours * 3_600_000;
        const token = deps.signer.sign('api-token', { pid: deps.providerId, tid: auth.technician.id, sub: auth.technician.subject }, ttlMs);
        res.setHeader('Cache-Control', 'no-store');
        return { token, expiresAt: new Date(Date.now() + ttlMs).toISOString() };
      },
    }),
  ];
}
