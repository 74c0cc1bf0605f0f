/**
 * Demo stand-in for Microsoft's admin-consent page: the consent link points here (the demo's "authority
 * host" is `<public URL>/demo-login`); the admin picks a sample tenant and accepts or declines; the fake Entra
 * records the decision and we redirect to the callback exactly as Microsoft would.
 */
import type { FakeEntra } from '@jitadmin/entra-adapter/testing';
import { Router } from 'express';
import { getAuth } from '../auth/context.js';
import { html } from '../http/html.js';
import { csrfField } from '../pages/layout.js';

export const DEMO_AUTHORITY_PATH = '/demo-login';

const PASSED = ['client_id', 'scope', 'redirect_uri', 'state'] as const;

export function demoConsentRoutes(options: { fake: FakeEntra; publicUrl: string }): Router {
  const router = Router();
  const callback = `${options.publicUrl}/connect/callback`;

  router.get(`${DEMO_AUTHORITY_PATH}/organizations/v2.0/adminconsent`, (req, res) => {
    const query = req.query as Record<string, unknown>;
    const params = PASSED.map((k) => [k, typeof query[k] === 'string' ? (query[k] as string) : ''] as const);
    const tenants = options.fake.tenants();
    res
      .setHeader('Cache-Control', 'no-store')
      .type('html')
      .send(
        html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Permissions requested (demo)</title><link rel="stylesheet" href="/static/app.css"></head><body>
<div class="demo-banner" role="note">Demo: this page stands in for Microsoft's admin consent page.</div>
<main><h1>Permissions requested</h1>
<p><strong>jitadmin (demo)</strong> asks for application permissions in your organisation: create and delete users,
manage directory role assignments, issue Temporary Access Passes, read the directory.</p>
<form method="post" action="${DEMO_AUTHORITY_PATH}/consent" class="stack">
  ${csrfField(getAuth(res))}
  ${params.map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
  <label for="tenantId">Sign in as the administrator of</label>
  <select id="tenantId" name="tenantId">${tenants.map(
    (t) => html`<option value="${t.tenantId}">${t.displayName} (${t.domain})${t.settings.consented ? ' — already consented' : ''}</option>`,
  )}</select>
  <div><button type="submit" name="decision" value="accept">Accept</button> <button type="submit" name="decision" value="decline" class="danger">Cancel</button></div>
</form></main></body></html>`.value,
      );
  });

  router.post(`${DEMO_AUTHORITY_PATH}/consent`, (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const str = (k: string) => (typeof body[k] === 'string' ? (body[k] as string) : '');
    // Only ever send the browser back to our own callback (no open redirect through the demo page).
    if (str('redirect_uri') !== callback) {
      res.status(400).type('text').send('redirect_uri must be this server\'s /connect/callback');
      return;
    }
    const tenantId = str('tenantId');
    if (!options.fake.tenants().some((t) => t.tenantId === tenantId)) {
      res.status(400).type('text').send('unknown demo tenant');
      return;
    }
    const params = Object.fromEntries(PASSED.map((k) => [k, str(k)]));
    const location = options.fake.consent(params, { tenantId, accept: str('decision') === 'accept' });
    res.redirect(303, location);
  });

  return router;
}
