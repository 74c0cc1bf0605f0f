/** `/me`, `/tokens` and `/sessions`: who am I, my API tokens for scripts, my signed-in sessions. */
import { ForbiddenError, type ApiToken as TokenRecord } from '@jitadmin/core';
import { getAuth } from '../auth/context.js';
import type { ApiDeps } from './deps.js';
import { route, type AnyRoute } from './route.js';
import { ApiToken, ApiTokenInput, ApiTokenList, ApiTokenParams, Me, SessionList, SessionParams } from './schemas.js';

const tokenInfo = (t: TokenRecord) => ({ id: t.id, name: t.name, createdAt: t.createdAt, expiresAt: t.expiresAt, lastUsedAt: t.lastUsedAt });

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
      summary: 'Create a named bearer API token for scripts (from a browser session only): 30 days by default, at most 90; it acts as you while you stay on the roster, and is shown only in this answer',
      body: ApiTokenInput, bodyName: 'ApiTokenInput', response: ApiToken, responseName: 'ApiToken', status: 201,
      handler: async ({ res, actor, body }) => {
        const auth = getAuth(res)!;
        if (auth.via !== 'session') throw new ForbiddenError('FORBIDDEN', 'API tokens are created from a signed-in browser session');
        const created = await deps.jit.createApiToken(actor, body, deps.tokenSealer(auth.session));
        res.setHeader('Cache-Control', 'no-store');
        return { ...tokenInfo(created.record), token: created.token };
      },
    }),
    route({
      method: 'get', path: '/tokens', operationId: 'listApiTokens', tag: 'me',
      summary: 'Your API tokens that are not revoked (expired ones too), newest first; never the tokens themselves',
      response: ApiTokenList, responseName: 'ApiTokenList',
      handler: async ({ actor }) => ({ items: (await deps.jit.listApiTokens(actor)).map(tokenInfo) }),
    }),
    route({
      method: 'delete', path: '/tokens/:tokenId', operationId: 'revokeApiToken', tag: 'me',
      summary: 'Revoke one of your API tokens (at once, on every replica)', params: ApiTokenParams, response: null,
      handler: async ({ actor, params }) => {
        await deps.jit.revokeApiToken(actor, params.tokenId);
      },
    }),
    route({
      method: 'get', path: '/sessions', operationId: 'listSessions', tag: 'me', summary: 'Your signed-in browser sessions, newest first',
      response: SessionList, responseName: 'SessionList',
      handler: async ({ actor, res }) => {
        const current = getAuth(res)!.session?.record.id ?? null;
        const items = await deps.jit.listSessions(actor);
        return { items: items.map((s) => ({ id: s.id, createdAt: s.createdAt, lastSeenAt: s.lastSeenAt, expiresAt: s.expiresAt, current: s.id === current })) };
      },
    }),
    route({
      method: 'delete', path: '/sessions/:sessionId', operationId: 'endSession', tag: 'me',
      summary: 'End one of your sessions (signs that browser out on every replica)', params: SessionParams, response: null,
      handler: async ({ actor, params }) => {
        await deps.jit.endSession(actor, params.sessionId);
      },
    }),
  ];
}
