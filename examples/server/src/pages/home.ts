/** The front door: sign-in page (with the demo's sample people) and the role-based landing. */
import { Router } from 'express';
import { getAuth } from '../auth/context.js';
import { safeReturnTo } from '../auth/routes.js';
import { html, type Html } from '../http/html.js';
import { show, type PageDeps } from './support.js';

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

  return router;
}
