/**
 * Issue 12 over HTTP: one request for roles of two rules, extension approval, a new credential for a lost one,
 * and ends that show (API `end`, the list's "failed", the details page's advice).
 */
import { makeGrant } from '@jitadmin/core/testing';
import type { Grant } from '@jitadmin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, ROLES, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

type View = Grant & { end: { reason: string; label: string; endedAt: string | null; advice: string | null; docs: string | null } | null };

const get = async (id: string, as = 'alice') => (await h.call('GET', `/api/v1/grants/${id}`, { as })).body as View;
const until = (id: string, check: (g: View) => boolean, what: string) =>
  eventually(async () => {
    const g = await get(id);
    return check(g) ? g : undefined;
  }, 20_000, what);

describe('issue 12 over the API and pages', () => {
  it('one form, two rules: Global Administrator with approval and Helpdesk Administrator without, asked together', async () => {
    const body = { customerId: 'fabrikam', roles: [ROLES.globalAdmin, ROLES.helpdeskAdmin], justification: 'incident 7', ticket: 'INC-7', durationMinutes: 57 };
    const req = await h.call('POST', '/api/v1/grants', { as: 'alice', body });
    expect(req.status).toBe(201);
    const id = (req.body as Grant).id;
    expect(req.body).toMatchObject({ state: 'pending_approval', ruleId: 'global-admin', policy: { approvalsRequired: 1, maxDurationMinutes: 120 } });
    expect((await h.call('POST', `/api/v1/grants/${id}/approve`, { as: 'carol' })).status).toBe(200);
    const active = await until(id, (g) => g.state === 'active', 'active');

    // 57 → 87 minutes needs approval again; the approvers are told and find it in their queue.
    const asked = await h.call('POST', `/api/v1/grants/${id}/extend`, { as: 'alice', body: { minutes: 30 } });
    expect(asked.status).toBe(200);
    expect(asked.body).toMatchObject({ expiresAt: active.expiresAt, pendingExtension: { minutes: 30 } });
    const queue = await h.call('GET', '/api/v1/grants?scope=approvable', { as: 'carol' });
    expect((queue.body as { items: Grant[] }).items.map((g) => g.id)).toContain(id);
    expect((await h.call('POST', `/api/v1/grants/${id}/extension/approve`, { as: 'alice' })).status).toBe(403);
    const approved = await h.call('POST', `/api/v1/grants/${id}/extension/approve`, { as: 'carol', body: { comment: 'ok' } });
    expect(approved.status).toBe(200);
    expect((approved.body as Grant).durationMinutes).toBe(87);
    expect(Date.parse((approved.body as Grant).expiresAt!) - Date.parse(active.expiresAt!)).toBe(30 * 60_000);
    expect((await h.call('POST', `/api/v1/grants/${id}/extension/deny`, { as: 'carol' })).status).toBe(409);

    // The approver page offers the next extension, and deciding there works.
    await h.call('POST', `/api/v1/grants/${id}/extend`, { as: 'alice', body: { minutes: 5 } });
    const s = await h.sessionFor('carol');
    const page = await fetch(`${h.url}/approvals`, { headers: { cookie: s.cookie } });
    const text = await page.text();
    expect(text).toContain('name="kind" value="extension"');
    const decided = await fetch(`${h.url}/approvals/${id}/decide`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: s.csrf, kind: 'extension', decision: 'deny' }).toString(),
      redirect: 'manual',
    });
    expect(decided.status).toBeLessThan(400);
    expect((await get(id)).pendingExtension).toBeNull();
    await h.call('POST', `/api/v1/grants/${id}/revoke`, { as: 'alice' });
    await until(id, (g) => g.state === 'closed', 'closed');
  });

  it('the request form takes roles of two rules ticked at once', async () => {
    const s = await h.sessionFor('bob');
    const form = new URLSearchParams({ _csrf: s.csrf, customerId: 'northwind', justification: 'incident 9', ticket: 'INC-9', durationMinutes: '' });
    form.append('roles', ROLES.globalAdmin);
    form.append('roles', ROLES.helpdeskAdmin);
    const sent = await fetch(`${h.url}/access/request`, {
      method: 'POST',
      headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: form.toString(),
      redirect: 'manual',
    });
    expect(sent.status).toBe(303);
    // The outcome comes back as a signed flash cookie on the redirect.
    const flash = sent.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const text = await (await fetch(`${h.url}${sent.headers.get('location')}`, { headers: { cookie: `${s.cookie}; ${flash}` } })).text();
    expect(text).not.toContain('not allowed');
    expect(text).toContain('waiting for approval');
    const mine = (await h.call('GET', '/api/v1/grants?scope=mine&states=pending_approval', { as: 'bob' })).body as { items: Grant[] };
    const grant = mine.items.find((g) => g.customerId === 'northwind')!;
    expect([...grant.roles].sort()).toEqual([ROLES.globalAdmin, ROLES.helpdeskAdmin].sort());
    await h.call('POST', `/api/v1/grants/${grant.id}/cancel`, { as: 'bob' });
  });

  it('a lost credential: a new one replaces it (the old one stops working), revealed once', async () => {
    const fake = h.server.demo!.fake;
    const tenant = fake.tenants().find((t) => t.displayName === 'Fabrikam')!;
    const req = await h.call('POST', '/api/v1/grants', { as: 'bob', body: { customerId: 'fabrikam', roles: [ROLES.helpdeskAdmin] } });
    const id = (req.body as Grant).id;
    const active = await eventually(async () => {
      const g = await get(id, 'bob');
      return g.state === 'active' ? g : undefined;
    }, 20_000, 'active');
    const first = (await h.call('POST', `/api/v1/grants/${id}/reveal`, { as: 'bob' })).body as { password: string };
    const s = await h.sessionFor('bob');
    const listed = await (await fetch(`${h.url}/access`, { headers: { cookie: s.cookie } })).text();
    expect(listed).toContain(`action="/grants/${id}/credential"`);
    expect((await h.call('POST', `/api/v1/grants/${id}/credential`, { as: 'alice' })).status).toBe(404);
    const asked = await h.call('POST', `/api/v1/grants/${id}/credential`, { as: 'bob' });
    expect(asked.status).toBe(202);
    expect(asked.body).toMatchObject({ step: 'reissue_credential' });
    await eventually(async () => ((await get(id, 'bob')).step === null ? true : undefined), 20_000, 're-issued');
    const second = await h.call('POST', `/api/v1/grants/${id}/reveal`, { as: 'bob' });
    expect(second.status).toBe(200);
    const password = (second.body as { password: string }).password;
    expect(password).not.toBe(first.password);
    const user = tenant.findUser(active.account!.userPrincipalName)!;
    expect(user.password).toBe(password);
    expect(tenant.rolesOf(user.id)).toContain(ROLES.helpdeskAdmin);
    expect((await h.call('POST', `/api/v1/grants/${id}/reveal`, { as: 'bob' })).status).toBe(409);
    const audit = (await h.call('GET', `/api/v1/audit?grantId=${id}`, { as: 'dave' })).body as { items: { action: string }[] };
    expect(audit.items.map((e) => e.action)).toEqual(expect.arrayContaining(['grant.credential_reissue_requested', 'grant.credential_reissued']));
    await h.call('POST', `/api/v1/grants/${id}/revoke`, { as: 'bob' });
  });

  it('a failed grant reads "failed" with its real end and what to do, in the API, the list and the details page', async () => {
    const failed = makeGrant({
      providerId: 'demo',
      technicianId: 'alice',
      customerId: 'northwind',
      ruleId: 'global-admin',
      roles: [ROLES.globalAdmin],
      state: 'closed',
      requestedAt: '2026-01-01T10:00:00.000Z',
      expiresAt: '2099-01-01T11:00:00.000Z',
      endReason: 'failed',
      endedAt: '2026-01-01T10:01:00.000Z',
      closedAt: '2026-01-01T10:02:00.000Z',
      failure: { code: 'TAP_POLICY_OFF', message: 'entra: the TAP policy is off', step: 'grant_access' },
    });
    await h.store.transaction((tx) => tx.insertGrant(failed));
    const view = await get(failed.id);
    expect(view.end).toMatchObject({ reason: 'failed', endedAt: '2026-01-01T10:01:00.000Z', label: 'Failed while assigning roles and the credential (TAP_POLICY_OFF)' });
    expect(view.end!.advice).toContain('TAP policy');
    expect(view.end!.docs).toContain('errors.md#tap_policy_off');
    const list = (await h.call('GET', '/api/v1/grants?scope=mine', { as: 'alice' })).body as { items: View[] };
    expect(list.items.find((g) => g.id === failed.id)!.end!.reason).toBe('failed');

    const s = await h.sessionFor('alice');
    const access = await (await fetch(`${h.url}/access`, { headers: { cookie: s.cookie } })).text();
    const row = access.slice(access.indexOf(`data-grant="${failed.id}"`));
    const cells = row.slice(0, row.indexOf('</tr>'));
    expect(cells).toContain('state-failed');
    expect(cells).not.toContain('state-closed');
    expect(cells).toContain('2026-01-01 10:01 UTC');
    expect(cells).not.toContain('2099-01-01');
    const details = await (await fetch(`${h.url}/grants/${failed.id}`, { headers: { cookie: s.cookie } })).text();
    expect(details).toContain('data-end-reason="failed"');
    expect(details).toContain('What to do');
    expect(details).toContain('TAP_POLICY_OFF');
    expect(details).toContain('Planned end');
  });
});
