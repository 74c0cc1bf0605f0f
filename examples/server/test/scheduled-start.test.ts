/**
 * The request form's optional "Start at": a browser's local wall-clock time plus its time zone (from app.js)
 * becomes the grant's `startAt` in UTC; a scheduled grant waits in `approved`; bad values bring the form back
 * with a message beside the field and write nothing; the pages show the scheduled start.
 */
import type { Grant } from '@jitadmin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { zonedToUtc } from '../src/pages/local-time.js';
import { signIn, type Agent } from './agent.js';
import { eventually, PASSWORD, ROLES, startHarness, type Harness } from './helpers.js';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** The wall-clock text a datetime-local input shows for `ms` in a zone `offsetMinutes` east of UTC. */
function localText(ms: number, offsetMinutes: number): string {
  return new Date(ms + offsetMinutes * MINUTE).toISOString().slice(0, 16);
}

/** A whole minute `days` ahead. */
function minuteAhead(days: number): number {
  return Math.ceil((Date.now() + days * DAY) / MINUTE) * MINUTE;
}

function utcText(iso: string): string {
  return `${iso.replace('T', ' ').slice(0, 16)} UTC`;
}

describe('zonedToUtc (local wall-clock time in a zone to UTC)', () => {
  it('applies the zone offset in force at that date, both signs, half hours and daylight saving', () => {
    expect(zonedToUtc('2025-06-01T09:30', 'Asia/Kolkata')).toEqual({ ok: true, iso: '2025-06-01T04:00:00.000Z' });
    expect(zonedToUtc('2025-06-01T09:30', 'America/New_York')).toEqual({ ok: true, iso: '2025-06-01T13:30:00.000Z' });
    expect(zonedToUtc('2025-01-15T09:30', 'America/New_York')).toEqual({ ok: true, iso: '2025-01-15T14:30:00.000Z' });
    expect(zonedToUtc('2025-06-01T09:30:15', 'Pacific/Chatham')).toEqual({ ok: true, iso: '2025-05-31T20:45:15.000Z' });
    // Empty zone (no script): UTC.
    expect(zonedToUtc('2025-06-01T09:30', '')).toEqual({ ok: true, iso: '2025-06-01T09:30:00.000Z' });
    // A value that states its own offset keeps it.
    expect(zonedToUtc('2025-06-01T09:30+02:00', 'Asia/Kolkata')).toEqual({ ok: true, iso: '2025-06-01T07:30:00.000Z' });
  });

  it('refuses times the clocks skip, takes the earlier of times they pass twice', () => {
    const gap = zonedToUtc('2025-03-30T02:30', 'Europe/Berlin');
    expect(gap.ok).toBe(false);
    expect(!gap.ok && gap.message).toContain('does not exist in Europe/Berlin');
    expect(zonedToUtc('2025-10-26T02:30', 'Europe/Berlin')).toEqual({ ok: true, iso: '2025-10-26T00:30:00.000Z' });
    expect(zonedToUtc('2025-10-26T03:30', 'Europe/Berlin')).toEqual({ ok: true, iso: '2025-10-26T02:30:00.000Z' });
  });

  it('refuses what is not a date and time, and unknown zones', () => {
    for (const value of ['', 'tomorrow', '2025-02-30T09:30', '2025-06-01T24:00', '2025-13-01T09:30', '2025-06-01 09:30x', '12025-06-01T09:30']) {
      expect(zonedToUtc(value, 'UTC').ok, value).toBe(false);
    }
    expect(zonedToUtc('2025-06-01T09:30', 'Mars/Olympus')).toEqual({ ok: false, message: 'Start at: unknown time zone "Mars/Olympus".' });
    expect(zonedToUtc('2025-06-01T09:30', '<script>').ok).toBe(false);
  });
});

describe('request form: Start at', () => {
  let h: Harness;
  let alice: Agent;
  let bob: Agent;

  beforeAll(async () => {
    h = await startHarness();
    alice = (await signIn(h, 'alice', PASSWORD)).agent;
    bob = (await signIn(h, 'bob', PASSWORD)).agent;
  });
  afterAll(async () => {
    await h?.close();
  });

  const grantsOf = async (technicianId: string) => (await h.store.listGrants('demo', { technicianId, limit: 1000 })).items;
  const auditCount = async () => (await h.store.listAudit('demo', { limit: 10_000 })).length;

  it('offers an optional datetime-local field, the hidden time zone app.js fills, and the hint; the CSP stays strict', async () => {
    const page = await alice.get('/access');
    expect(page.res.status).toBe(200);
    expect(page.text).toMatch(/<label for="startAt">Start at \(optional\)<\/label>/);
    expect(page.text).toMatch(/<input id="startAt" name="startAt" type="datetime-local" value=""/);
    expect(page.text).not.toMatch(/name="startAt"[^>]*required/);
    expect(page.text).toContain('<input type="hidden" id="startAtZone" name="startAtZone" value="">');
    expect(page.text).toContain("In your browser's local time zone");
    const csp = page.res.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)/);
    const script = await (await fetch(`${h.url}/static/app.js`)).text();
    expect(script).toContain("getElementById('startAtZone')");
    expect(script).toContain('resolvedOptions().timeZone');
  });

  it('a scheduled request converts the local time with the browser zone, stays approved until then, and the pages show the start', async () => {
    const start = minuteAhead(2);
    const expected = new Date(start).toISOString();
    const before = new Set((await grantsOf('alice')).map((g) => g.id));
    const sent = await alice.post('/access/request', {
      _csrf: await alice.csrf(),
      customerId: 'fabrikam',
      roles: ROLES.helpdeskAdmin,
      startAt: localText(start, 330), // Asia/Kolkata, UTC+05:30 all year
      startAtZone: 'Asia/Kolkata',
    });
    expect(sent.res.status).toBe(200);
    expect(sent.text).toContain(`Scheduled: your account will be prepared at ${utcText(expected)}.`);
    const scheduled = (await grantsOf('alice')).filter((g) => !before.has(g.id));
    expect(scheduled).toHaveLength(1);
    const grant = scheduled[0]!;
    expect(grant.startAt).toBe(expected);
    expect(grant.roles).toEqual([ROLES.helpdeskAdmin]);

    // West of UTC too: Etc/GMT+5 is UTC-05:00.
    const west = minuteAhead(3);
    await alice.post('/access/request', {
      _csrf: await alice.csrf(),
      customerId: 'northwind',
      roles: ROLES.userAdmin,
      startAt: localText(west, -300),
      startAtZone: 'Etc/GMT+5',
    });
    const westGrant = (await grantsOf('alice')).find((g) => g.customerId === 'northwind' && g.roles.includes(ROLES.userAdmin))!;
    expect(westGrant.startAt).toBe(new Date(west).toISOString());

    // The scheduler is running: an unscheduled request made after them becomes active while they wait.
    const now = (await h.call('POST', '/api/v1/grants', { as: 'alice', body: { customerId: 'northwind', roles: [ROLES.helpdeskAdmin] } })).body as Grant;
    await eventually(async () => ((await h.store.getGrant('demo', now.id))!.state === 'active' ? true : undefined));
    for (const id of [grant.id, westGrant.id]) {
      const stored = (await h.store.getGrant('demo', id))!;
      expect(stored.state).toBe('approved');
      expect(stored.account).toBeNull();
      expect(stored.activatedAt).toBeNull();
    }

    // The list shows the start beside the state, in the pages' UTC format; the row can be cancelled.
    const list = await alice.get('/access');
    const row = new RegExp(`<tr data-grant="${grant.id}" data-state="approved">[\\s\\S]*?</tr>`).exec(list.text)?.[0] ?? '';
    expect(row).toContain(`starts at <time datetime="${expected}">${utcText(expected)}</time>`);
    expect(row).toContain(`action="/grants/${grant.id}/cancel"`);
    // Waiting days for a start is nothing to reload for (the unscheduled grant is active by now).
    expect(list.text).not.toContain('data-refresh');

    const detail = await alice.get(`/grants/${grant.id}`);
    expect(detail.text).toMatch(new RegExp(`<dt>State</dt><dd><span class="state state-approved">approved</span> <small class="starts">starts at <time datetime="${expected}">`));
    expect(detail.text).toContain(`<dt>Scheduled start</dt><dd><time datetime="${expected}">${utcText(expected)}</time></dd>`);
  });

  it('a scheduled request that needs approval shows its start to the approver', async () => {
    const start = minuteAhead(5);
    const expected = new Date(start).toISOString();
    const sent = await bob.post('/access/request', {
      _csrf: await bob.csrf(),
      customerId: 'northwind',
      roles: ROLES.globalAdmin,
      justification: 'planned migration',
      ticket: 'CHG-12',
      startAt: localText(start, -300),
      startAtZone: 'Etc/GMT+5',
    });
    expect(sent.text).toContain(`Requested: waiting for approval; starts at ${utcText(expected)} at the earliest.`);
    const grant = (await grantsOf('bob')).find((g) => g.justification === 'planned migration')!;
    expect(grant.state).toBe('pending_approval');
    expect(grant.startAt).toBe(expected);
    const carol = (await signIn(h, 'carol', PASSWORD)).agent;
    const queue = await carol.get('/approvals');
    const row = new RegExp(`<tr data-grant="${grant.id}">[\\s\\S]*?</tr>`).exec(queue.text)?.[0] ?? '';
    expect(row).toContain(`starts at <time datetime="${expected}">${utcText(expected)}</time> at the earliest`);
  });

  it('bad start times bring the form back with the message beside the field, keep what was typed, and write nothing', async () => {
    const cases: { startAt: string; startAtZone: string; message: string }[] = [
      { startAt: 'next tuesday', startAtZone: 'Europe/Berlin', message: 'Start at is not a valid date and time' },
      { startAt: '2031-02-30T10:00', startAtZone: 'Europe/Berlin', message: 'Start at is not a valid date and time' },
      { startAt: localText(minuteAhead(1), 0), startAtZone: 'Nowhere/Special', message: 'Start at: unknown time zone &quot;Nowhere/Special&quot;.' },
      { startAt: '2030-03-31T02:30', startAtZone: 'Europe/Berlin', message: 'Start at 2030-03-31 02:30 does not exist in Europe/Berlin' },
      { startAt: localText(Date.now() - DAY, 330), startAtZone: 'Asia/Kolkata', message: 'is in the past. Leave it empty to start as soon as approved.' },
      { startAt: localText(Date.now() + 31 * DAY, 330), startAtZone: 'Asia/Kolkata', message: 'is more than 30 days ahead.' },
    ];
    const grantsBefore = (await grantsOf('alice')).length;
    const auditBefore = await auditCount();
    for (const c of cases) {
      const r = await alice.post(
        '/access/request',
        { _csrf: await alice.csrf(), customerId: 'fabrikam', roles: ROLES.userAdmin, durationMinutes: '45', justification: 'keep <this>', ticket: 'T-77', ...c },
        false,
      );
      expect(r.res.status, c.startAt).toBe(400);
      expect(r.res.headers.get('content-type')).toContain('text/html');
      const error = /<p id="startAt-error" class="error field-error">([^<]*)<\/p>/.exec(r.text)?.[1];
      expect(error, c.startAt).toContain(c.message);
      // Right after the field, which points at it.
      expect(r.text).toMatch(/aria-describedby="startAt-hint startAt-error" aria-invalid="true">\s*<input type="hidden" id="startAtZone"[^>]*>\s*<small id="startAt-hint">[^<]*<span data-zone-name>[^<]*<\/span>[^<]*<\/small>\s*<p id="startAt-error"/);
      expect(r.text).toContain('<p class="error" role="alert">Not requested: see &quot;Start at&quot; below.</p>');
      // What was typed comes back.
      expect(r.text).toMatch(/<option value="fabrikam" selected>/);
      expect(r.text).toMatch(new RegExp(`value="${ROLES.userAdmin}" checked>`));
      expect(r.text).toContain('value="45"');
      expect(r.text).toContain('>keep &lt;this&gt;</textarea>');
      expect(r.text).toContain('value="T-77"');
      expect(r.text).toContain(`id="startAtZone" name="startAtZone" value="${c.startAtZone}"`);
      // A reload would throw the message and the typing away.
      expect(r.text).not.toContain('data-refresh');
    }
    expect((await grantsOf('alice')).length).toBe(grantsBefore);
    expect(await auditCount()).toBe(auditBefore);
  });

  it('an empty Start at is a request for now, as before', async () => {
    const before = new Set((await grantsOf('bob')).map((g) => g.id));
    const sent = await bob.post('/access/request', { _csrf: await bob.csrf(), customerId: 'fabrikam', roles: ROLES.helpdeskAdmin, startAt: '', startAtZone: 'Asia/Kolkata' });
    expect(sent.text).toContain('Requested: your account is being prepared.');
    const made = (await grantsOf('bob')).filter((g) => !before.has(g.id));
    expect(made).toHaveLength(1);
    expect(made[0]!.startAt).toBeNull();
  });
});
