/**
 * `/tokens`: your API tokens (named, listed with created / last used / expires, revoked one by one) and your
 * signed-in sessions (each can be ended). A new token is shown once, on the page that created it.
 */
import { ForbiddenError } from '@jitadmin/core';
import { Router } from 'express';
import { html } from '../http/html.js';
import { csrfField } from './layout.js';
import { action, field, optionalInt, page, show, when, type PageDeps } from './support.js';

export function tokenPages(deps: PageDeps): Router {
  const router = Router();

  router.get(
    '/tokens',
    page(async (req, res, auth) => {
      const [tokens, sessions] = await Promise.all([deps.jit.listApiTokens(auth.actor), deps.jit.listSessions(auth.actor)]);
      const now = Date.now();
      const body = html`<p>Scripts call the API at <code>/api/v1</code> with <code>Authorization: Bearer &lt;token&gt;</code>; pages take only your
signed-in session. A token acts as you, with your roles, until it expires or is revoked, and only while you stay on the roster. See
<a href="/api/openapi.json">the OpenAPI document</a>.</p>
<h2 id="your-tokens">Your API tokens</h2>
${tokens.length === 0
  ? html`<p class="empty">You have no API tokens.</p>`
  : html`<table aria-labelledby="your-tokens"><thead><tr><th scope="col">Name</th><th scope="col">Created</th><th scope="col">Last used</th><th scope="col">Expires</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead><tbody>
${tokens.map(
  (t) => html`<tr><td>${t.name}</td><td>${when(t.createdAt)}</td><td>${t.lastUsedAt ? when(t.lastUsedAt) : 'never'}</td>
  <td>${when(t.expiresAt)}${Date.parse(t.expiresAt) <= now ? html` <strong>(expired)</strong>` : ''}</td>
  <td><form method="post" action="/tokens/${t.id}/revoke">${csrfField(auth)}<button type="submit" aria-label="Revoke ${t.name}">Revoke</button></form></td></tr>`,
)}</tbody></table>`}
<form method="post" action="/tokens" class="stack">${csrfField(auth)}
  <label for="name">Name (what the token is for)</label><input id="name" name="name" maxlength="100" required>
  <label for="days">Lifetime in days (at most 90)</label><input id="days" name="days" type="number" min="1" max="90" value="30">
  <button type="submit">Create a token</button>
</form>
<h2 id="your-sessions">Your signed-in sessions</h2>
<table aria-labelledby="your-sessions"><thead><tr><th scope="col">Signed in</th><th scope="col">Last seen</th><th scope="col">Ends at the latest</th><th scope="col"><span class="visually-hidden">Action</span></th></tr></thead><tbody>
${sessions.map(
  (s) => html`<tr><td>${when(s.createdAt)}${s.id === auth.session?.record.id ? html` <strong>(this browser)</strong>` : ''}</td><td>${when(s.lastSeenAt)}</td><td>${when(s.expiresAt)}</td>
  <td><form method="post" action="/sessions/${s.id}/end">${csrfField(auth)}<button type="submit">Sign out</button></form></td></tr>`,
)}</tbody></table>`;
      await show(deps, req, res, { title: 'API tokens and sessions', body });
    }),
  );

  router.post(
    '/tokens',
    page(async (req, res, auth) => {
      if (auth.via !== 'session') throw new ForbiddenError('FORBIDDEN', 'API tokens are created from a browser session');
      const created = await deps.jit.createApiToken(auth.actor, { name: field(req, 'name'), days: optionalInt(req, 'days') ?? 30 }, deps.tokenSealer(auth.session));
      res.setHeader('Cache-Control', 'no-store');
      const body = html`<p>Your token <strong>${created.record.name}</strong> lasts until ${when(created.record.expiresAt)}. Copy it now; it is not shown again.</p>
<p><code id="token" class="wrap">${created.token}</code> <button type="button" data-copy="token">Copy</button></p>
<pre><code>curl -H "Authorization: Bearer $TOKEN" ${'<server>'}/api/v1/entitlements</code></pre>
<p><a href="/tokens">Back to your tokens</a></p>`;
      await show(deps, req, res, { title: 'Your API token', body });
    }),
  );

  router.post(
    '/tokens/:tokenId/revoke',
    action(deps, () => '/tokens', async (req, _res, auth) => {
      await deps.jit.revokeApiToken(auth.actor, String(req.params.tokenId));
      return 'The token is revoked.';
    }),
  );

  router.post(
    '/sessions/:sessionId/end',
    action(deps, () => '/tokens', async (req, _res, auth) => {
      await deps.jit.endSession(auth.actor, String(req.params.sessionId));
      return 'That session is signed out.';
    }),
  );
  return router;
}
