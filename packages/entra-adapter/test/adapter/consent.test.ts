/** Admin-consent URL and callback: signed, expiring, tamper-evident state; Microsoft's answers mapped. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { buildAdminConsentUrl, parseAdminConsentCallback } from '../../src/index.js';

const SECRET = 'state-secret-0123456789-abcdefghijklmnop';
const NOW = Date.parse('2026-11-26T10:00:00Z');
const TENANT = '9f8e7d6c-5b4a-4321-8765-0fedcba98765';
const base = { clientId: 'app-id', redirectUri: 'https://msp.example/connect/callback', stateSecret: SECRET, now: NOW };
const id = fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/);

function stateOf(url: string): string {
  return new URL(url).searchParams.get('state')!;
}

describe('buildAdminConsentUrl', () => {
  it('points at the organizations adminconsent endpoint with our client, scope and redirect', () => {
    const url = new URL(buildAdminConsentUrl({ ...base, providerId: 'p1', customerId: 'c1' }));
    expect(url.origin + url.pathname).toBe('https://login.microsoftonline.com/organizations/v2.0/adminconsent');
    expect(url.searchParams.get('client_id')).toBe('app-id');
    expect(url.searchParams.get('scope')).toBe('https://graph.microsoft.com/.default');
    expect(url.searchParams.get('redirect_uri')).toBe('https://msp.example/connect/callback');
  });

  it('refuses a short state secret', () => {
    expect(() => buildAdminConsentUrl({ ...base, stateSecret: 'short', providerId: 'p', customerId: 'c' })).toThrow(/stateSecret/);
  });
});

describe('parseAdminConsentCallback', () => {
  it('round-trips provider and customer for any ids, with a unique state id each time', () => {
    fc.assert(
      fc.property(id, id, fc.uuid(), (providerId, customerId, tenant) => {
        const url = buildAdminConsentUrl({ ...base, providerId, customerId });
        const again = buildAdminConsentUrl({ ...base, providerId, customerId });
        const r = parseAdminConsentCallback({ admin_consent: 'True', tenant, state: stateOf(url), scope: 'https://graph.microsoft.com/.default' }, { stateSecret: SECRET, now: NOW + 1000 });
        expect(r).toMatchObject({ ok: true, tenantId: tenant.toLowerCase(), providerId, customerId });
        const r2 = parseAdminConsentCallback({ admin_consent: 'True', tenant, state: stateOf(again) }, { stateSecret: SECRET, now: NOW });
        expect(r.ok && r2.ok && r.stateId !== r2.stateId).toBe(true);
      }),
    );
  });

  it('rejects any change to the state as VALIDATION_FAILED', () => {
    const state = stateOf(buildAdminConsentUrl({ ...base, providerId: 'p1', customerId: 'c1' }));
    fc.assert(
      fc.property(fc.nat({ max: state.length - 1 }), fc.constantFrom(...'ABCabc012-_.'.split('')), (at, ch) => {
        fc.pre(state[at] !== ch);
        const tampered = state.slice(0, at) + ch + state.slice(at + 1);
        const r = parseAdminConsentCallback({ admin_consent: 'True', tenant: TENANT, state: tampered }, { stateSecret: SECRET, now: NOW });
        expect(r.ok).toBe(false);
        if (!r.ok) expect(r.error.code).toBe('VALIDATION_FAILED');
      }),
    );
  });

  it('rejects a state signed with another secret, a missing state, and a repeated one', () => {
    const foreign = stateOf(buildAdminConsentUrl({ ...base, stateSecret: 'another-secret-0123456789-abcdefghijkl', providerId: 'p', customerId: 'c' }));
    const mine = stateOf(buildAdminConsentUrl({ ...base, providerId: 'p', customerId: 'c' }));
    for (const query of [{ admin_consent: 'True', tenant: TENANT, state: foreign }, { admin_consent: 'True', tenant: TENANT }, { admin_consent: 'True', tenant: TENANT, state: [mine, mine] }]) {
      const r = parseAdminConsentCallback(query, { stateSecret: SECRET, now: NOW });
      expect(r).toMatchObject({ ok: false, reason: 'bad_state' });
    }
  });

  it('expires the state after ttlMs', () => {
    const state = stateOf(buildAdminConsentUrl({ ...base, providerId: 'p', customerId: 'c', ttlMs: 60_000 }));
    const q = { admin_consent: 'True', tenant: TENANT, state };
    expect(parseAdminConsentCallback(q, { stateSecret: SECRET, now: NOW + 59_999 }).ok).toBe(true);
    const r = parseAdminConsentCallback(q, { stateSecret: SECRET, now: NOW + 60_000 });
    expect(r).toMatchObject({ ok: false, reason: 'expired_state' });
    if (!r.ok) expect(r.error.code).toBe('VALIDATION_FAILED');
  });

  it("maps Microsoft's error to a clear CONNECTION_BROKEN message, keeping who it was for", () => {
    const state = stateOf(buildAdminConsentUrl({ ...base, providerId: 'p9', customerId: 'c9' }));
    const r = parseAdminConsentCallback(
      new URLSearchParams({ error: 'access_denied', error_description: 'AADSTS65004: User declined to consent to access the app.\r\nTrace ID: x', state }),
      { stateSecret: SECRET, now: NOW },
    );
    expect(r).toMatchObject({ ok: false, reason: 'denied', providerId: 'p9', customerId: 'c9' });
    if (!r.ok) {
      expect(r.error.code).toBe('CONNECTION_BROKEN');
      expect(r.error.message).toMatch(/^entra: admin consent was not granted: access_denied — AADSTS65004: User declined/);
      expect(r.error.message).not.toMatch(/[\r\n]/);
      expect(r.error.details.aadsts).toBe('AADSTS65004');
    }
  });

  it('treats anything but admin_consent=True as refused, and needs a GUID tenant', () => {
    const state = stateOf(buildAdminConsentUrl({ ...base, providerId: 'p', customerId: 'c' }));
    expect(parseAdminConsentCallback({ admin_consent: 'False', tenant: TENANT, state }, { stateSecret: SECRET, now: NOW })).toMatchObject({ ok: false, reason: 'refused' });
    expect(parseAdminConsentCallback({ tenant: TENANT, state }, { stateSecret: SECRET, now: NOW })).toMatchObject({ ok: false, reason: 'refused' });
    expect(parseAdminConsentCallback({ admin_consent: 'True', tenant: 'contoso.com', state }, { stateSecret: SECRET, now: NOW })).toMatchObject({ ok: false });
  });
});
