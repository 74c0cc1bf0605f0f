import { describe, expect, it } from 'vitest';
import { CLIENT_ID, LOGIN, tokenFor, useFake } from './support.js';

const { fake } = useFake();
const params = { client_id: CLIENT_ID, scope: 'https://graph.microsoft.com/.default', redirect_uri: 'https://msp.example/connect/callback', state: 'st-123' };

describe('admin consent', () => {
  it('consent() accepts for the chosen tenant: admin_consent=True, tenant, scope, state; the tenant becomes consented', async () => {
    const t = fake.addTenant({ consented: false, permissions: ['User.ReadWrite.All'] });
    expect((await tokenFor(t.tenantId)).status).toBe(400);
    const url = new URL(fake.consent(params, { tenantId: t.tenantId, accept: true }));
    expect(url.origin + url.pathname).toBe('https://msp.example/connect/callback');
    expect(Object.fromEntries(url.searchParams)).toEqual({
      admin_consent: 'True',
      tenant: t.tenantId,
      scope: 'https://graph.microsoft.com/User.ReadWrite.All',
      state: 'st-123',
    });
    expect(t.settings.consented).toBe(true);
    expect((await tokenFor(t.tenantId)).status).toBe(200);
  });

  it('a declined consent redirects with error=access_denied and the state, and consents nothing', () => {
    const t = fake.addTenant({ consented: false });
    const url = new URL(fake.consent(new URLSearchParams(params), { tenantId: t.tenantId, accept: false }));
    expect(url.searchParams.get('error')).toBe('access_denied');
    expect(url.searchParams.get('error_description')).toMatch(/^AADSTS65004/);
    expect(url.searchParams.get('state')).toBe('st-123');
    expect(url.searchParams.has('tenant')).toBe(false);
    expect(t.settings.consented).toBe(false);
  });

  it('the msw handler answers 302 to the redirect for the decided tenant', async () => {
    const t = fake.addTenant({ consented: false });
    fake.setConsentDecision({ tenantId: t.tenantId, accept: true });
    const res = await fetch(`${LOGIN}/organizations/v2.0/adminconsent?${new URLSearchParams(params)}`, { redirect: 'manual' });
    expect(res.status).toBe(302);
    const loc = new URL(res.headers.get('location') as string);
    expect(loc.searchParams.get('tenant')).toBe(t.tenantId);
    expect(loc.searchParams.get('admin_consent')).toBe('True');
    fake.setConsentDecision(null);
  });

  it('an unknown client id gets an error redirect', () => {
    fake.addTenant();
    const url = new URL(fake.consent({ ...params, client_id: 'nope' }));
    expect(url.searchParams.get('error')).toBe('unauthorized_client');
  });
});
