/**
 * The whole flow in real Chromium: a technician signs in through the development IdP and asks for access,
 * the approver signs in and approves, the technician reveals the credential and ends the grant. The fake
 * tenant shows the account appear, then go. A second run schedules a start from a browser in another time
 * zone. Skipped (with a message) only where /usr/bin/chromium is missing
 * outside CI.
 */
import { existsSync } from 'node:fs';
import type { Grant } from '@jitadmin/core';
import { mkdir } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually, PASSWORD, ROLES, startHarness, type Harness } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
/** Where the pages are kept as a person saw them, for review (not checked in). */
const SHOTS = fileURLToPath(new URL('../../../artifacts/screenshots/', import.meta.url));

async function shot(page: Page, name: string): Promise<void> {
  await mkdir(SHOTS, { recursive: true });
  await page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
}
const available = existsSync(CHROMIUM);
if (!available && !process.env.CI) {
  console.warn(`browser test skipped: ${CHROMIUM} not found (install it with: apt-get install -y chromium). In CI it is required.`);
}

describe.skipIf(!available && !process.env.CI)('browser: request, approve, reveal, end', () => {
  let h: Harness;
  let browser: Browser;
  const problems: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    await h?.close();
  });

  async function person(username: string, options: BrowserContextOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(`${username}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`${username}: ${e.message}`));
    await page.goto(h.url);
    await expect(page.getByRole('heading', { name: 'Sign in', exact: true })).toBeTruthy();
    await page.getByRole('link', { name: 'Sign in', exact: true }).click();
    await page.waitForURL(/\/dev-idp\/interaction\//);
    await page.getByLabel('Name').selectOption(username);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL((u) => !u.pathname.startsWith('/dev-idp') && !u.pathname.startsWith('/auth'));
    return { context, page };
  }

  it('works end to end in the demo', async () => {
    const tenant = h.server.demo!.fake.tenants().find((t) => t.displayName === 'Fabrikam')!;

    // A rule that allows one role on Northwind only.
    const rule = await h.call('POST', '/api/v1/rules', {
      as: 'dave',
      body: { name: 'Readers on Northwind', subjects: { technicianIds: ['alice'] }, customers: ['northwind'], roles: [ROLES.securityReader], defaultDurationMinutes: 30, maxDurationMinutes: 60 },
    });
    expect(rule.status).toBe(201);

    // The technician asks for Global Administrator on Fabrikam.
    const alice = await person('alice');
    expect(new URL(alice.page.url()).pathname).toBe('/access');
    expect(await alice.page.locator('.demo-banner').textContent()).toContain('Demo mode');
    await alice.page.getByLabel('Customer').selectOption({ label: 'Fabrikam' });
    // Only roles some rule allows on the chosen customer are offered.
    expect(await alice.page.getByLabel('Security Reader').isVisible()).toBe(false);
    await alice.page.getByLabel('Customer').selectOption({ label: 'Northwind Traders' });
    expect(await alice.page.getByLabel('Security Reader').isVisible()).toBe(true);
    await alice.page.getByLabel('Customer').selectOption({ label: 'Fabrikam' });
    expect(await alice.page.getByLabel('Helpdesk Administrator').isVisible()).toBe(true);
    await alice.page.getByLabel('Global Administrator').check();
    await alice.page.getByLabel(/Duration in minutes/).fill('30');
    await alice.page.getByLabel('Justification').fill('Conditional access lockout');
    await alice.page.getByLabel('Ticket reference').fill('INC-7');
    await shot(alice.page, '01-technician-request-form');
    await alice.page.getByRole('button', { name: 'Request access' }).click();
    await alice.page.getByText('waiting for approval').waitFor();
    await shot(alice.page, '02-technician-waiting');
    const grantId = (await alice.page.locator('tr[data-grant]').first().getAttribute('data-grant'))!;
    expect(await alice.page.locator(`tr[data-grant="${grantId}"]`).getAttribute('data-state')).toBe('pending_approval');

    // The approver approves with a comment.
    const carol = await person('carol');
    expect(new URL(carol.page.url()).pathname).toBe('/approvals');
    const row = carol.page.locator(`tr[data-grant="${grantId}"]`);
    await row.getByText('Conditional access lockout').waitFor();
    await shot(carol.page, '03-approver-queue');
    await row.getByLabel('Comment').fill('Approved for INC-7');
    await row.getByRole('button', { name: 'Approve' }).click();
    await carol.page.getByText('Approved').first().waitFor();

    // The account appears in the customer's tenant with the role.
    const grant = await eventually(async () => {
      const g = (await h.call('GET', `/api/v1/grants/${grantId}`, { as: 'alice' })).body as Grant;
      return g.state === 'active' ? g : undefined;
    });
    const upn = grant.account!.userPrincipalName;
    const account = tenant.findUser(upn)!;
    expect(account).toBeDefined();
    expect(tenant.rolesOf(account.id)).toContain(ROLES.globalAdmin);

    // Back as the technician: the grant is active with a live countdown; reveal the credential once.
    await alice.page.goto(`${h.url}/access`);
    const mine = alice.page.locator(`tr[data-grant="${grantId}"]`);
    expect(await mine.getAttribute('data-state')).toBe('active');
    await expect.poll(async () => mine.locator('[data-countdown]').textContent()).toMatch(/left$/);
    await shot(alice.page, '04-technician-active');
    await mine.getByRole('button', { name: 'Reveal credentials' }).click();
    await alice.page.getByRole('heading', { name: 'Your credentials' }).waitFor();
    expect(await alice.page.locator('#upn').textContent()).toBe(upn);
    expect(await alice.page.locator('#password').textContent()).toBe(account.password);
    expect(await alice.page.getByRole('button', { name: 'Copy' }).count()).toBeGreaterThanOrEqual(2);
    const signInHref = await alice.page.getByRole('link', { name: /Sign in to the customer/ }).getAttribute('href');
    expect(signInHref).toContain(`login_hint=${encodeURIComponent(upn)}`);
    // The secret is on the page: the picture keeps its layout, not its text.
    await alice.page.locator('#password').evaluate((el) => (el.textContent = '••••••••••••'));
    await shot(alice.page, '05-technician-credentials');

    // The reveal was once: the button is gone.
    await alice.page.goto(`${h.url}/access`);
    expect(await mine.getByRole('button', { name: 'Reveal credentials' }).count()).toBe(0);

    // End it now: the account is removed from the tenant.
    await mine.getByRole('button', { name: 'End now' }).click();
    await alice.page.getByText('Ending now').waitFor();
    await eventually(async () => (tenant.findUser(upn) === undefined ? true : undefined), 20_000, 'account removed');
    await eventually(async () => (((await h.call('GET', `/api/v1/grants/${grantId}`, { as: 'alice' })).body as Grant).state === 'closed' ? true : undefined));
    await alice.page.goto(`${h.url}/access`);
    expect(await mine.getAttribute('data-state')).toBe('closed');
    await shot(alice.page, '06-technician-closed');
    await alice.page.goto(`${h.url}/grants/${grantId}`);
    await shot(alice.page, '07-grant-details');

    // No script errors and no CSP violations on any page.
    expect(problems).toEqual([]);
    await alice.context.close();
    await carol.context.close();
  });

  it('schedules a start in the browser time zone (app.js sends it; the server converts)', async () => {
    const bob = await person('bob', { timezoneId: 'Asia/Kolkata' });
    await bob.page.getByLabel('Customer').selectOption({ label: 'Northwind Traders' });
    await bob.page.getByLabel('Helpdesk Administrator').check();
    // app.js filled the hidden zone and names it in the hint (Chromium says the older name, Asia/Calcutta).
    const zone = await bob.page.locator('#startAtZone').inputValue();
    expect(zone).toMatch(/^Asia\/(Kolkata|Calcutta)$/);
    expect(await bob.page.locator('#startAt-hint').textContent()).toContain(`(${zone})`);
    const start = Math.ceil((Date.now() + 2 * 86_400_000) / 60_000) * 60_000;
    const local = new Date(start + 330 * 60_000).toISOString().slice(0, 16); // UTC+05:30
    await bob.page.getByLabel('Start at (optional)').fill(local);
    await bob.page.getByRole('button', { name: 'Request access' }).click();
    await bob.page.getByText('Scheduled: your account will be prepared at').waitFor();
    const grantId = (await bob.page.locator('tr[data-grant]').first().getAttribute('data-grant'))!;
    const grant = (await h.call('GET', `/api/v1/grants/${grantId}`, { as: 'bob' })).body as Grant;
    expect(grant.startAt).toBe(new Date(start).toISOString());
    expect(grant.state).toBe('approved');
    expect(await bob.page.locator(`tr[data-grant="${grantId}"] .starts time`).getAttribute('datetime')).toBe(grant.startAt);

    // A start in the past comes back beside the field, with what was typed.
    await bob.page.getByLabel('Customer').selectOption({ label: 'Northwind Traders' });
    await bob.page.getByLabel('User Administrator').check();
    await bob.page.getByLabel('Start at (optional)').fill(new Date(Date.now() - 86_400_000 + 330 * 60_000).toISOString().slice(0, 16));
    await bob.page.getByRole('button', { name: 'Request access' }).click();
    await bob.page.locator('#startAt-error').waitFor();
    expect(await bob.page.locator('#startAt-error').textContent()).toContain('is in the past');
    expect(await bob.page.getByLabel('User Administrator').isChecked()).toBe(true);
    // No script errors or CSP violations; the form that came back was a 400 page, which Chromium logs.
    expect(problems.filter((p) => !p.endsWith('the server responded with a status of 400 (Bad Request)'))).toEqual([]);
    expect(problems.filter((p) => p.includes('status of 400'))).toHaveLength(1);
    await bob.context.close();
  });

  it("shows an admin's pages whole: customers with their tenant's health, rules, roster, audit, tokens", async () => {
    const before = problems.length;
    const dave = await person('dave');
    for (const [path, name] of [
      ['/admin/customers', '10-admin-customers'],
      ['/admin/rules', '11-admin-rules'],
      ['/admin/technicians', '12-admin-roster'],
      ['/admin/audit', '13-admin-audit'],
      ['/tokens', '14-tokens-and-sessions'],
    ] as const) {
      const res = await dave.page.goto(`${h.url}${path}`);
      expect(res?.status(), path).toBe(200);
      await shot(dave.page, name);
    }
    expect(problems.slice(before)).toEqual([]);
    await dave.context.close();
  });
});
