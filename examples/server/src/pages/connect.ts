/**
 * Connecting a customer's tenant by admin consent, as pages:
 *
 * 1. `GET /admin/customers/:id/connect`: the admin gives the customer's domain (or tenant id).
 * 2. `POST` the same: the server finds the tenant (Microsoft's discovery document) and makes a link bound to
 *    it; the page shows the tenant id the link is for and a button to Microsoft's consent page.
 * 3. `GET /connect/callback`: Microsoft's redirect back. Checked (same admin, same session, unused,
 *    unexpired, the expected tenant); the page shows the tenant's name and default domain as Microsoft
 *    reports them and asks the admin to confirm. Nothing is connected by a GET, so a link that reaches an
 *    admin's browser by other means (an email, an <img>) connects nothing by itself.
 * 4. `POST /connect/callback` (CSRF token of the session): uses the link up and connects.
 *
 * Both callback routes are rate-limited per client address.
 */
import type { Customer } from '@jitadmin/core';
import { ForbiddenError, isJitError } from '@jitadmin/core';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { AuthContext } from '../auth/context.js';
import { getAuth } from '../auth/context.js';
import { isDeclined, type ConsentFlow } from '../connect.js';
import { html } from '../http/html.js';
import type { RateLimiter } from '../http/rate-limit.js';
import { health } from './admin.js';
import { csrfField } from './layout.js';
import { field, page, show, when, type PageDeps } from './support.js';

function requireAdmin(auth: AuthContext) {
  if (!auth.technician.appRoles.includes('admin')) throw new ForbiddenError('FORBIDDEN', 'this page is for admins');
}

export function consentPages(deps: PageDeps & { consent: ConsentFlow; consentLimiter: RateLimiter }): Router {
  const router = Router();

  const form = async (req: Request, res: Response, auth: AuthContext, customer: Customer, options: { value?: string; error?: string; status?: number } = {}) => {
    const error = options.error;
    const body = html`
${error ? html`<div class="error-summary" role="alert" aria-labelledby="error-summary-title"><h2 id="error-summary-title">There is a problem</h2>
  <ul><li><a href="#domain">${error}</a></li></ul></div>` : ''}
<p>The link you make here works only for the Entra ID tenant that owns this domain, only for you, in this sign-in
session, once, for 15 minutes. Consent from any other tenant is refused.</p>
<form method="post" action="/admin/customers/${customer.id}/connect" class="stack">${csrfField(auth)}
  <label for="domain">${customer.name}'s domain or Entra ID tenant ID</label>
  <p class="hint" id="domain-hint">For example <code>contoso.com</code> or <code>contoso.onmicrosoft.com</code>.</p>
  ${error ? html`<p class="error field-error" id="domain-error">${error}</p>` : ''}
  <input id="domain" name="domain" required maxlength="255" autocomplete="off" spellcheck="false" value="${options.value ?? ''}"
    aria-describedby="domain-hint${error ? ' domain-error' : ''}" ${error ? html`aria-invalid="true"` : ''}>
  <button type="submit">Find the tenant</button>
</form>
<p><a href="/admin/customers">Back to customers</a></p>`;
    await show(deps, req, res, { title: `Connect ${customer.name} to Entra ID`, body, ...(options.status ? { status: options.status } : {}) });
  };

  router.get(
    '/admin/customers/:customerId/connect',
    page(async (req, res, auth) => {
      requireAdmin(auth);
      const customer = await deps.jit.getCustomer(auth.actor, String(req.params.customerId));
      await form(req, res, auth, customer, { value: customer.connection?.defaultDomain ?? '' });
    }),
  );

  router.post(
    '/admin/customers/:customerId/connect',
    page(async (req, res, auth) => {
      requireAdmin(auth);
      const customer = await deps.jit.getCustomer(auth.actor, String(req.params.customerId));
      const domain = field(req, 'domain').trim();
      let link;
      try {
        link = await deps.consent.start(auth, customer.id, { domain });
      } catch (error) {
        // What the admin typed stays, with the reason beside the field (GOV.UK's pattern).
        if (isJitError(error) && (error.code === 'VALIDATION_FAILED' || error.code === 'CONFLICT')) {
          return form(req, res, auth, customer, { value: domain, error: error.message, status: 400 });
        }
        throw error;
      }
      const body = html`
<dl class="facts">
  <dt>Customer</dt><dd>${customer.name}</dd>
  <dt>You gave</dt><dd><code>${link.expectedTenant.lookup}</code></dd>
  <dt>Entra ID tenant</dt><dd><code data-tenant-id>${link.expectedTenant.tenantId}</code>${link.expectedTenant.cloud ? html` <small>(${link.expectedTenant.cloud})</small>` : ''}</dd>
  <dt>Link valid until</dt><dd>${when(link.expiresAt)}</dd>
</dl>
<p>Sign in at Microsoft as an administrator of <strong>that</strong> tenant and accept. Consent from any other
tenant will be refused. Its name and domains are shown to you for confirmation before anything is connected.</p>
<p><a class="button" id="consent-link" href="${link.url}" rel="noreferrer">Continue to Microsoft's consent page</a></p>
<p><a href="/admin/customers/${customer.id}/connect">That is not the right tenant</a></p>`;
      await show(deps, req, res, { title: `Connect ${customer.name}: check the tenant`, body });
    }),
  );

  /** Throws RATE_LIMITED (429 with Retry-After) when this client sent too many callbacks this minute. */
  const limit = (req: Request) => {
    const key = `consent:${req.ip ?? 'unknown'}`;
    if (!deps.consentLimiter.take(key)) {
      throw new ForbiddenError('RATE_LIMITED', 'Too many consent callbacks from this address; wait a minute', { retryAfterMs: deps.consentLimiter.retryAfterMs(key) });
    }
  };
  const signedIn = (req: Request, res: Response): AuthContext | null => {
    const auth = getAuth(res);
    if (!auth) res.redirect(303, `/signin?returnTo=${encodeURIComponent(req.originalUrl)}`);
    return auth;
  };

  router.get('/connect/callback', async (req: Request, res: Response, next: NextFunction) => {
    try {
      limit(req);
      const auth = signedIn(req, res);
      if (!auth) return;
      const query = req.query as Record<string, string | string[] | undefined>;
      if (isDeclined(query)) await deps.consent.decline(auth, query);
      const checked = await deps.consent.check(auth, query);
      const t = checked.tenant;
      const body = html`
<p>Microsoft reports that an administrator of this tenant consented. Connect it to <strong>${checked.customer.name}</strong>?</p>
<dl class="facts">
  <dt>Tenant name</dt><dd data-tenant-name>${t?.displayName || 'not known yet (consent can take a few minutes to reach every region)'}</dd>
  <dt>Default domain</dt><dd data-tenant-domain>${t?.defaultDomain ?? 'not known yet'}</dd>
  <dt>Tenant ID</dt><dd><code>${checked.expectedTenant.tenantId}</code></dd>
  <dt>You started this for</dt><dd><code>${checked.expectedTenant.lookup}</code></dd>
</dl>
<form method="post" action="/connect/callback" class="stack">${csrfField(auth)}
  <input type="hidden" name="state" value="${checked.form.state}">
  <input type="hidden" name="tenant" value="${checked.form.tenant}">
  <button type="submit" id="confirm-connect">Connect ${checked.customer.name} to this tenant</button>
</form>
<p><a href="/admin/customers">Cancel</a> (the link expires ${when(checked.expiresAt)})</p>`;
      await show(deps, req, res, { title: 'Confirm the tenant', body });
    } catch (error) {
      next(error);
    }
  });

  router.post('/connect/callback', async (req: Request, res: Response, next: NextFunction) => {
    try {
      limit(req);
      const auth = getAuth(res);
      if (!auth) throw new ForbiddenError('UNAUTHENTICATED', 'sign in first');
      const customer = await deps.consent.finish(auth, { state: field(req, 'state'), tenant: field(req, 'tenant') || null });
      const ok = customer.connection?.status === 'connected';
      await show(deps, req, res, {
        title: ok ? `${customer.name} is connected` : `${customer.name}: connection needs attention`,
        body: html`<p>${health(customer)}</p><p><a href="/admin/customers">Back to customers</a></p>`,
      });
    } catch (error) {
      next(error);
    }
  });

  return router;
}
