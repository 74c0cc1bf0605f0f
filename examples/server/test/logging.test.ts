/**
 * Log redaction: after a full flow through the pages and the API (sign-in, request, approval, reveal of a
 * password and a Temporary Access Pass, API token, end), no captured log line holds a password, a TAP, a
 * client secret, the session secret or key, a session cookie, a bearer or authorization code, or any JWT.
 */
import type { Grant } from '@jitadmin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redactedForTest } from '../src/logging.js';
import { signIn } from './agent.js';
import { eventually, PASSWORD, ROLES, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ LOG_LEVEL: 'trace' });
});
afterAll(async () => {
  await h?.close();
});

describe('logs', () => {
  it('never carry a secret, after a full flow', async () => {
    const secrets: string[] = [PASSWORD, h.server.demo!.entraClientSecret, h.server.demo!.idpClientSecret, h.server.secrets.sessionSecret, h.server.secrets.secretBoxKey];

    // Technician signs in and asks through the page form.
    const alice = await signIn(h, 'alice', PASSWORD, '/access');
    secrets.push(decodeURIComponent(alice.agent.cookies.get('jitadmin_session')!));
    const codes = alice.agent.visited.map((u) => new URL(u).searchParams.get('code')).filter((c): c is string => !!c);
    expect(codes.length).toBe(1);
    secrets.push(...codes);
    const requested = await alice.agent.post('/access/request', {
      _csrf: await alice.agent.csrf(),
      customerId: 'fabrikam',
      roles: ROLES.globalAdmin,
      durationMinutes: '30',
      justification: 'Mailbox migration',
      ticket: 'CHG-1001',
    });
    expect(requested.text).toContain('waiting for approval');
    const pending = (await h.call('GET', '/api/v1/grants?scope=mine&states=pending_approval', { as: 'alice' })).body as { items: Grant[] };
    const grantId = pending.items[0]!.id;

    // Approver approves through the page.
    const carol = await signIn(h, 'carol', PASSWORD, '/approvals');
    expect(carol.text).toContain('Mailbox migration');
    const approved = await carol.agent.post(`/approvals/${grantId}/decide`, { _csrf: await carol.agent.csrf(), decision: 'approve', comment: 'go' });
    expect(approved.text).toContain('Approved');
    await eventually(async () => (((await h.call('GET', `/api/v1/grants/${grantId}`, { as: 'alice' })).body as Grant).state === 'active' ? true : undefined));

    // Reveal through the page: the password is on the page, and nowhere in the logs.
    const reveal = await alice.agent.post(`/grants/${grantId}/reveal`, { _csrf: await alice.agent.csrf() });
    const password = /id="password">([^<]+)</.exec(reveal.text)?.[1];
    expect(password).toBeTruthy();
    secrets.push(password!.replace(/&amp;/g, '&').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&#96;/g, '`'));

    // A rule that hands out a Temporary Access Pass too, used through the API with a bearer token.
    await h.call('POST', '/api/v1/rules', {
      as: 'dave',
      body: { name: 'TAP', subjects: { technicianIds: ['bob'] }, customers: ['fabrikam'], roles: [ROLES.securityReader], defaultDurationMinutes: 30, maxDurationMinutes: 60, credential: 'both' },
    });
    const tokenRes = await h.call('POST', '/api/v1/tokens', { as: 'bob', body: { name: 'logging test' } });
    const token = (tokenRes.body as { token: string }).token;
    secrets.push(token);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const g = (await (await fetch(`${h.url}/api/v1/grants`, { method: 'POST', headers: auth, body: JSON.stringify({ customerId: 'fabrikam', roles: [ROLES.securityReader] }) })).json()) as Grant;
    await eventually(async () => (((await h.call('GET', `/api/v1/grants/${g.id}`, { as: 'bob' })).body as Grant).state === 'active' ? true : undefined));
    const cred = (await (await fetch(`${h.url}/api/v1/grants/${g.id}/reveal`, { method: 'POST', headers: auth })).json()) as { password: string; temporaryAccessPass: string };
    expect(cred.temporaryAccessPass).toBeTruthy();
    secrets.push(cred.password, cred.temporaryAccessPass);

    // End both; the scheduler cleans up.
    await h.call('POST', `/api/v1/grants/${grantId}/revoke`, { as: 'alice' });
    await h.call('POST', `/api/v1/grants/${g.id}/revoke`, { as: 'bob', via: 'bearer' });
    await eventually(async () => (((await h.call('GET', `/api/v1/grants/${g.id}`, { as: 'bob' })).body as Grant).state === 'closed' ? true : undefined));
    await alice.agent.post('/auth/logout', { _csrf: await alice.agent.csrf() });

    const log = h.logs.join('');
    expect(h.logs.length).toBeGreaterThan(50);
    expect(log).toContain('grant event');
    for (const secret of secrets) {
      expect(secret.length).toBeGreaterThanOrEqual(6);
      expect(log.includes(secret), `a secret (${secret.slice(0, 3)}…) reached the logs`).toBe(false);
    }
    expect(log).not.toMatch(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}/);
  });

  it('redacts secret-looking fields even when code hands them to the logger', () => {
    const line = redactedForTest({ password: 'p@ss-Word-123', nested: { clientSecret: 'cs-1234567', token: 'tok-1234567' }, req: { headers: { authorization: 'Bearer abc1234567', cookie: 'jitadmin_session=zzz1234567' } } });
    for (const s of ['p@ss-Word-123', 'cs-1234567', 'tok-1234567', 'abc1234567', 'zzz1234567']) expect(line).not.toContain(s);
    expect(line).toContain('[redacted]');
  });
});
