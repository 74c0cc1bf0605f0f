/**
 * The attacks of issue 11 items 2 and 3, tried over HTTP on the demo server, now failing to get in:
 * an admin rebinding another technician through `POST /technicians`; approving without the approver role;
 * an approver revoking someone else's grant; an approver reading the audit trail and the roster. And the way
 * that is meant for a subject change: an explicit, audited re-bind that ends the person's sessions and tokens.
 */
import type { Actor, AuditEvent, Grant, Technician } from '@jitadmin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rebindTechnician } from '../src/auth/identity-binding.js';
import { eventually, ROLES, startHarness, type Harness } from './helpers.js';

let h: Harness;
const setup: Actor = { kind: 'system', providerId: 'demo', name: 'setup' };
type ErrorBody = { error: { code: string; message: string; field?: string } };
const err = (body: unknown) => (body as ErrorBody).error;

beforeAll(async () => {
  h = await startHarness();
  // Victims of their own, so the demo people stay as they are for the other tests.
  await h.server.jit.createTechnician(setup, { id: 'vic', subject: 'vic', email: 'vic@contoso-msp.example', displayName: 'Vic', groups: ['jit-technicians'], appRoles: ['technician'] });
  await h.server.jit.createTechnician(setup, { id: 'rex', subject: 'rex', email: 'rex@contoso-msp.example', displayName: 'Rex', groups: ['jit-technicians'], appRoles: ['technician'] });
});
afterAll(async () => {
  await h?.close();
});

async function auditOf(action: string): Promise<AuditEvent[]> {
  return (await h.store.listAudit('demo', { limit: 10_000 })).filter((e) => e.action === action);
}

describe('identity binding', () => {
  it('POST /technicians with an existing id and a new subject is refused (409) and changes nothing: the rebind attack', async () => {
    const before = await h.store.getTechnician('demo', 'vic');
    const r = await h.call('POST', '/api/v1/technicians', {
      as: 'dave',
      body: { id: 'vic', subject: 'dave-second-identity', email: 'vic@contoso-msp.example', displayName: 'Vic', appRoles: ['technician'] },
    });
    expect(r.status).toBe(409);
    expect(err(r.body)).toMatchObject({ code: 'CONFLICT', field: 'id' });
    expect(await h.store.getTechnician('demo', 'vic')).toEqual(before);
    expect(await h.store.findTechnicianBySubject('demo', 'dave-second-identity')).toBeNull();
    // Sessions are store records started at sign-in by subject: the would-be subject signs in as nobody.
  });

  it('POST /technicians with a subject another technician holds is refused (409, field subject)', async () => {
    const r = await h.call('POST', '/api/v1/technicians', { as: 'dave', body: { subject: 'vic', email: 'other@contoso-msp.example', displayName: 'Other' } });
    expect(r.status).toBe(409);
    expect(err(r.body)).toMatchObject({ code: 'CONFLICT', field: 'subject' });
  });

  it('PATCH /technicians/:id cannot change the subject (400)', async () => {
    const r = await h.call('PATCH', '/api/v1/technicians/vic', { as: 'dave', body: { active: true, subject: 'dave-second-identity' } });
    expect(r.status).toBe(400);
    expect((await h.store.getTechnician('demo', 'vic'))!.subject).toBe('vic');
  });

  it('an explicit re-bind is audited (old, new, who) and ends the sessions and API tokens issued before it', async () => {
    const oldSession = await h.sessionFor('rex');
    const oldBearer = await h.bearerFor('rex');
    const minted = await h.call('POST', '/api/v1/tokens', { as: 'rex', body: { name: 'rex script' } });
    const mintedToken = (minted.body as { token: string }).token;
    const credentials: Record<string, string>[] = [{ cookie: oldSession.cookie }, { authorization: `Bearer ${oldBearer}` }, { authorization: `Bearer ${mintedToken}` }];
    for (const headers of credentials) {
      expect((await fetch(`${h.url}/api/v1/me`, { headers })).status).toBe(200);
    }
    // Only admins may re-bind.
    expect((await h.call('POST', '/api/v1/technicians/rex/rebind', { as: 'carol', body: { subject: 'carol-as-rex' } })).status).toBe(403);

    const r = await h.call('POST', '/api/v1/technicians/rex/rebind', { as: 'dave', body: { subject: 'rex-new-idp', reason: 'moved to the new IdP' } });
    expect(r.status).toBe(200);
    expect((r.body as Technician).subject).toBe('rex-new-idp');
    const events = (await auditOf('technician.subject_rebound')).filter((e) => e.details.technicianId === 'rex');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ actor: 'technician:dave', details: { oldSubject: 'rex', newSubject: 'rex-new-idp', reason: 'moved to the new IdP' } });

    for (const headers of credentials) {
      expect((await fetch(`${h.url}/api/v1/me`, { headers })).status).toBe(401);
    }
    // Someone signing in with the new subject is let in.
    const fresh = await h.sessionFor('rex');
    expect((await fetch(`${h.url}/api/v1/me`, { headers: { cookie: fresh.cookie } })).status).toBe(200);
    // Taking a subject another technician holds: refused.
    const clash = await h.call('POST', '/api/v1/technicians/rex/rebind', { as: 'dave', body: { subject: 'vic' } });
    expect(clash.status).toBe(409);
  });

  it('the roster page re-binds only with the confirmation box ticked, and says what it did', async () => {
    await h.server.jit.createTechnician(setup, { id: 'paged', subject: 'paged', email: 'paged@contoso-msp.example', displayName: 'Paged' });
    const s = await h.sessionFor('dave');
    const post = async (form: Record<string, string>) => {
      const res = await fetch(`${h.url}/admin/technicians/paged/rebind`, {
        method: 'POST',
        headers: { cookie: s.cookie, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ _csrf: s.csrf, ...form }).toString(),
        redirect: 'manual',
      });
      expect(res.status).toBe(303);
      const page = await fetch(`${h.url}${res.headers.get('location')}`, { headers: { cookie: `${s.cookie}; ${res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')}` } });
      return page.text();
    };
    expect(await post({ subject: 'paged-2', expectedSubject: 'paged', reason: 'test' })).toContain('tick the confirmation box');
    expect((await h.store.getTechnician('demo', 'paged'))!.subject).toBe('paged');
    expect(await post({ subject: 'paged-2', expectedSubject: 'paged', reason: 'test', confirm: 'yes' })).toContain('is now bound to paged-2');
    expect((await h.store.getTechnician('demo', 'paged'))!.subject).toBe('paged-2');
    // A form made before that change (stale expected subject) is refused.
    expect(await post({ subject: 'paged-3', expectedSubject: 'paged', reason: 'test', confirm: 'yes' })).toContain('another subject than expected');
    const roster = await (await fetch(`${h.url}/admin/technicians`, { headers: { cookie: s.cookie } })).text();
    expect(roster).toContain('action="/admin/technicians/paged/rebind"');
  });

  it('the re-bind calls the hook that ends what else holds the sessions and tokens, after the change is stored', async () => {
    const calls: [string, string][] = [];
    await h.server.jit.createTechnician(setup, { id: 'hooked', subject: 'hooked', email: 'hooked@contoso-msp.example', displayName: 'Hooked' });
    const dave: Actor = { kind: 'person', providerId: 'demo', technicianId: 'dave', appRoles: ['admin'] };
    await rebindTechnician({ jit: h.server.jit, onTechnicianRebound: (id, previous) => void calls.push([id, previous]) }, dave, 'hooked', { subject: 'hooked-2' });
    expect(calls).toEqual([['hooked', 'hooked']]);
    await expect(
      rebindTechnician({ jit: h.server.jit, onTechnicianRebound: (id, previous) => void calls.push([id, previous]) }, dave, 'hooked', { subject: 'vic' }),
    ).rejects.toMatchObject({ code: 'CONFLICT' });
    expect(calls).toHaveLength(1);
  });
});

describe('roles', () => {
  async function pendingGlobalAdmin(as: string): Promise<Grant> {
    const r = await h.call('POST', '/api/v1/grants', { as, body: { customerId: 'northwind', roles: [ROLES.globalAdmin], justification: 'incident 9', ticket: 'INC-9' } });
    expect(r.status).toBe(201);
    return r.body as Grant;
  }

  it('approving needs the approver role: a listed approver taken out of the approver group is refused', async () => {
    const g = await pendingGlobalAdmin('vic');
    expect(g.policy.approvers).toContain('carol');
    // A technician (no approver role) is refused by the route table.
    expect((await h.call('POST', `/api/v1/grants/${g.id}/approve`, { as: 'rex' })).status).toBe(403);
    // Carol leaves the approver group; her next sign-in (or an admin) writes that to the roster. Her session, made before, no longer approves.
    await h.server.jit.updateTechnician(setup, 'carol', { appRoles: [], groups: [] });
    try {
      for (const decision of ['approve', 'deny']) {
        const r = await h.call('POST', `/api/v1/grants/${g.id}/${decision}`, { as: 'carol' });
        expect(r.status, decision).toBe(403);
      }
      expect((await h.store.getGrant('demo', g.id))!).toMatchObject({ state: 'pending_approval', approvals: [] });
    } finally {
      await h.server.jit.updateTechnician(setup, 'carol', { appRoles: ['approver'], groups: ['jit-approvers'] });
    }
    expect((await h.call('POST', `/api/v1/grants/${g.id}/deny`, { as: 'carol' })).status).toBe(200);
  });

  it('a rule accepts as approvers only people who hold the approver role (400)', async () => {
    const r = await h.call('POST', '/api/v1/rules', {
      as: 'dave',
      body: { name: 'Approved by a technician', subjects: { technicianIds: ['vic'] }, customers: 'all', roles: [ROLES.userAdmin], defaultDurationMinutes: 30, maxDurationMinutes: 60, approval: { required: 1, approvers: ['rex'] } },
    });
    expect(r.status).toBe(400);
    expect(err(r.body)).toMatchObject({ code: 'VALIDATION_FAILED', field: 'approval.approvers.0' });
    // The rules page offers as approvers only people with the role.
    const page = await (await fetch(`${h.url}/admin/rules`, { headers: { cookie: (await h.sessionFor('dave')).cookie } })).text();
    const offered = [...(/<select id="rule-approvers"[^>]*>([\s\S]*?)<\/select>/.exec(page)?.[1] ?? '').matchAll(/value="([^"]+)"/g)].map((m) => m[1]);
    expect(offered).toEqual(expect.arrayContaining(['carol', 'dave']));
    expect(offered).not.toContain('rex');
    expect(offered).not.toContain('alice');
  });

  it("an approver cannot revoke a grant it is not an approver of; the grant's technician and admins can", async () => {
    const r = await h.call('POST', '/api/v1/grants', { as: 'vic', body: { customerId: 'fabrikam', roles: [ROLES.helpdeskAdmin], durationMinutes: 60 } });
    const id = (r.body as Grant).id;
    await eventually(async () => ((await h.store.getGrant('demo', id))!.state === 'active' ? true : undefined), 20_000, 'grant active');
    const refused = await h.call('POST', `/api/v1/grants/${id}/revoke`, { as: 'carol', body: { reason: 'because I can' } });
    expect(refused.status).toBe(403);
    expect(err(refused.body).code).toBe('FORBIDDEN');
    // Another technician does not even see it.
    expect((await h.call('POST', `/api/v1/grants/${id}/revoke`, { as: 'rex' })).status).toBe(404);
    expect((await h.store.getGrant('demo', id))!.state).toBe('active');
    expect((await h.call('POST', `/api/v1/grants/${id}/revoke`, { as: 'vic', body: { reason: 'done' } })).status).toBe(200);
  });

  it('an approver cannot read the audit trail or the roster, over the API or the pages', async () => {
    for (const path of ['/api/v1/audit', '/api/v1/audit/verify', '/api/v1/technicians']) {
      const r = await h.call('GET', path, { as: 'carol' });
      expect(r.status, path).toBe(403);
    }
    const s = await h.sessionFor('carol');
    for (const path of ['/admin/audit', '/admin/technicians']) {
      const res = await fetch(`${h.url}${path}`, { headers: { cookie: s.cookie, accept: 'text/html' }, redirect: 'manual' });
      expect(res.status, path).toBe(403);
    }
    expect((await h.call('GET', '/api/v1/audit', { as: 'dave' })).status).toBe(200);
  });
});
