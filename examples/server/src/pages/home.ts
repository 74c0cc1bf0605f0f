/** The front door: sign-in page (with the demo's sample people), the role-based landing, API tokens. */
import { ForbiddenError, ValidationError } from '@jitadmin/core';
import { Router } from 'express';
import { getAuth } from '../auth/context.js';
import { safeReturnTo } from '../auth/routes.js';
import { html, type Html } from '../http/html.js';
import { csrfField } from './layout.js';
import { optionalInt, page, show, type PageDeps } from './support.js';

export function homePages(deps: PageDeps & { signInHelp: Html | null }): Router {
  const router = Router();

  router.get('/', (_req, res) => {
    const auth = getAuth(res);
    if (!auth) return res.redirect(303, '/signin');
    const roles = auth.technician.appRoles;
    res.redirect(303, roles.includes('technician') ? '/access' : roles.includes('approver') ? '/approvals' : roles.includes('admin') ? '/admin/customers' : '/tokens');
  });

  router.get('/signin', async (req, res) => {
    const returnTo = safeReturnTo(req.query.returnTo);
    const body = html`<p>Sign in with your organisation account to request or approve just-in-time admin access.</p>
<p><a class="button" id="signin" href="/auth/login?returnTo=${encodeURIComponent(returnTo)}">Sign in</a></p>
${deps.signInHelp ?? ''}`;
    await show(deps, req, res, { title: 'Sign in', body });
  });

  router.get(
    '/tokens',
    page(async (req, res, auth) => {
      const body = html`<p>Scripts call the API at <code>/api/v1</code> with <code>Authorization: Bearer &lt;token&gt;</code>. A token acts as you, with your
roles, for as long as it lives and you stay on the roster. See <a href="/api/openapi.json">the OpenAPI document</a>.</p>
<form method="post" action="/tokens" class="stack">${csrfField(auth)}
  <label for="ttlHours">Lifetime in hours</label><input id="ttlHours" name="ttlHours" type="number" min="1" max="2160" value="24">
  <button type="submit">Create a token</button>
</form>`;
      await show(deps, req, res, { title: 'API tokens', body });
    }),
  );
  router.post(
    '/tokens',
    page(async (req, res, auth) => {
      if (auth.via !== 'session') throw new ForbiddenError('FORBIDDEN', 'API tokens are created from a browser session');
      const hours = optionalInt(req, 'ttlHours') ?? 24;
      if (!Number.isInteger(hours) || hours < 1 || hours > 2160) throw new ValidationError('lifetime must be 1 to 2160 hours', { field: 'ttlHours' });
      const token = deps.signer.sign('api-token', { pid: deps.providerId, tid: auth.technician.id, sub: auth.technician.subject }, hours * 3_600_000);
      res.setHeader('Cache-Control', 'no-store');
      const body = html`<p>Copy it now; it is not shown again.</p>
<p><code id="token" class="wrap">${token}</code> <button type="button" data-copy="token">Copy</button></p>
<pre><code>curl -H "Authorization: Bearer $TOKEN" ${'<server>'}/api/v1/entitlements</code></pre>`;
      await show(deps, req, res, { title: 'Your API token', body });
    }),
  );
  return router;
}
