/**
 * The reversed justification: U+202E makes "routine check" plus a reversed tail read, in the approval queue, as
 * if a CISO had approved it. The API and the request form refuse it, naming the field; nothing is requested.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROLES, startHarness, type Harness } from './helpers.js';

const REVERSED = 'routine check \u202e4321 tekcit ,OSIC yb devorppa\u202c';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('bidirectional control characters', () => {
  it('the API refuses a reversed justification with VALIDATION_FAILED on the field, and requests nothing', async () => {
    const before = (await h.store.listGrants('demo')).items.length;
    const res = await h.call('POST', '/api/v1/grants', {
      as: 'alice',
      body: { customerId: 'fabrikam', roles: [ROLES.globalAdmin], durationMinutes: 30, justification: REVERSED, ticket: 'CHG-1' },
    });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', field: 'justification', message: expect.stringContaining('bidirectional control characters') } });
    expect((await h.store.listGrants('demo')).items).toHaveLength(before);
  });

  it('as do the other free-text fields: a ticket, a customer name, a deny comment', async () => {
    const ticket = await h.call('POST', '/api/v1/grants', { as: 'alice', body: { customerId: 'fabrikam', roles: [ROLES.helpdeskAdmin], ticket: 'CHG-\u20661' } });
    expect(ticket.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', field: 'ticket' } });
    const customer = await h.call('POST', '/api/v1/customers', { as: 'dave', body: { name: 'Fabrikam \u202eevil' } });
    expect(customer.body).toMatchObject({ error: { code: 'VALIDATION_FAILED', field: 'name' } });
  });

  it('the request form shows the refusal in plain words', async () => {
    const { cookie, csrf } = await h.sessionFor('alice');
    const body = new URLSearchParams({ customerId: 'fabrikam', roles: ROLES.globalAdmin, durationMinutes: '30', justification: REVERSED, ticket: 'CHG-1', _csrf: csrf });
    const refused = await fetch(`${h.url}/access/request`, { method: 'POST', redirect: 'manual', headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' }, body });
    // Sent back to the form, with the message in a flash cookie.
    expect(refused.status).toBe(303);
    const flash = refused.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const res = await fetch(new URL(refused.headers.get('location')!, h.url), { headers: { cookie: `${cookie}; ${flash}`, accept: 'text/html' } });
    const text = await res.text();
    expect(text).toContain('bidirectional control characters');
    expect((await h.store.listGrants('demo')).items.filter((g) => g.justification?.includes('routine check'))).toEqual([]);
  });
});
