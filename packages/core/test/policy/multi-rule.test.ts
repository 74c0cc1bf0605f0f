import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { EntitlementRule, evaluateRequest, roleDisplayName, type EntitlementRuleInput, type Technician } from '@jitadmin/core';

const GA = '62e90394-69f5-4237-9190-012177145e10';
const HELPDESK = '729827e3-9c14-49f7-bb1b-9608f156bbb8';
const USER_ADMIN = 'fe930be7-5e62-47db-91af-98c3a49a38b1';
const EXCHANGE = '29232cdf-9323-42fd-ade2-1d097af3e4de';
const ROLES = [GA, HELPDESK, USER_ADMIN, EXCHANGE];
const APPROVERS = ['a1', 'a2', 'a3', 'tech'];

const technician: Technician = {
  providerId: 'p',
  id: 'tech',
  subject: 'sub',
  email: 'tech@msp.example',
  displayName: 'Tech',
  groups: ['l2'],
  appRoles: ['technician'],
  active: true,
  createdAt: '2026-01-01T00:00:00.000Z',
} as Technician;

const rule = (id: string, terms: Partial<EntitlementRuleInput> & { roles: string[] }): EntitlementRule =>
  EntitlementRule.parse({
    providerId: 'p',
    id,
    createdAt: '2026-01-01T00:00:00.000Z',
    name: id,
    subjects: { technicianIds: ['tech'] },
    customers: 'all',
    defaultDurationMinutes: 30,
    maxDurationMinutes: 120,
    ...terms,
  });

describe('policy over several rules', () => {
  const gaWithApproval = rule('ga', { roles: [GA], maxDurationMinutes: 60, approval: { required: 1, approvers: ['a1', 'a2'] }, requireTicket: true });
  const helpdesk = rule('hd', { roles: [HELPDESK], maxDurationMinutes: 240, defaultDurationMinutes: 60 });

  it('allows two roles from two rules in one request, governed by the strictest terms of both (issue 12, case 6)', () => {
    const d = evaluateRequest([gaWithApproval, helpdesk], technician, { customerId: 'c', roles: [GA, HELPDESK], ticket: 'INC-1' });
    expect(d).toMatchObject({
      allowed: true,
      approvalsRequired: 1,
      approvers: ['a1', 'a2'],
      maxDurationMinutes: 60,
      durationMinutes: 30,
      requireTicket: true,
    });
    if (!d.allowed) throw new Error('refused');
    expect(d.rule.id).toBe('ga');
    expect(d.rules.map((r) => r.id)).toEqual(['ga', 'hd']);
  });

  it('still needs the ticket that one governing rule asks for, and refuses a window past the shortest maximum', () => {
    expect(evaluateRequest([gaWithApproval, helpdesk], technician, { customerId: 'c', roles: [GA, HELPDESK] })).toMatchObject({ allowed: false, code: 'TICKET_REQUIRED' });
    expect(
      evaluateRequest([gaWithApproval, helpdesk], technician, { customerId: 'c', roles: [GA, HELPDESK], ticket: 'x', durationMinutes: 90 }),
    ).toMatchObject({ allowed: false, code: 'DURATION_TOO_LONG', message: 'At most 60 minutes may be requested' });
    // The helpdesk role alone is governed by its own rule only.
    expect(evaluateRequest([gaWithApproval, helpdesk], technician, { customerId: 'c', roles: [HELPDESK], durationMinutes: 200 })).toMatchObject({
      allowed: true,
      approvalsRequired: 0,
    });
  });

  it('names refused roles by their display names', () => {
    const d = evaluateRequest([helpdesk], technician, { customerId: 'c', roles: [HELPDESK, GA, EXCHANGE] });
    expect(d).toMatchObject({
      allowed: false,
      code: 'ROLE_NOT_ALLOWED',
      message: 'Global Administrator and Exchange Administrator are not allowed for you on this customer',
      field: 'roles.1',
    });
    expect(roleDisplayName('00000000-0000-0000-0000-000000000001')).toBe('00000000-0000-0000-0000-000000000001');
  });

  it('takes approvers listed on every governing rule that needs approval, and refuses where too few remain', () => {
    const ua = rule('ua', { roles: [USER_ADMIN], approval: { required: 1, approvers: ['a2', 'a3'] } });
    expect(evaluateRequest([gaWithApproval, ua], technician, { customerId: 'c', roles: [GA, USER_ADMIN], ticket: 't' })).toMatchObject({
      allowed: true,
      approvers: ['a2'],
    });
    const disjoint = rule('ua2', { roles: [USER_ADMIN], approval: { required: 1, approvers: ['a3'] } });
    expect(evaluateRequest([gaWithApproval, disjoint], technician, { customerId: 'c', roles: [GA, USER_ADMIN], ticket: 't' })).toMatchObject({
      allowed: false,
      code: 'NOT_ENTITLED',
      message: expect.stringContaining('request them separately'),
    });
  });

  it('prefers, for a role, a rule the request can meet over a more lenient one it cannot', () => {
    const short = rule('short', { roles: [HELPDESK], maxDurationMinutes: 30 });
    const long = rule('long', { roles: [HELPDESK], maxDurationMinutes: 480, approval: { required: 1, approvers: ['a1'] } });
    expect(evaluateRequest([short, long], technician, { customerId: 'c', roles: [HELPDESK], durationMinutes: 20 })).toMatchObject({ allowed: true, approvalsRequired: 0 });
    expect(evaluateRequest([short, long], technician, { customerId: 'c', roles: [HELPDESK], durationMinutes: 300 })).toMatchObject({ allowed: true, approvalsRequired: 1 });
  });
});

// ---- property: random rule sets ----------------------------------------------------------------------

const arbRule = (i: number) =>
  fc
    .record({
      roles: fc.subarray(ROLES, { minLength: 1 }),
      covers: fc.boolean(),
      enabled: fc.boolean(),
      max: fc.integer({ min: 5, max: 480 }),
      required: fc.integer({ min: 0, max: 2 }),
      approvers: fc.subarray(APPROVERS, { minLength: 2 }),
      justification: fc.boolean(),
      ticket: fc.boolean(),
      selfService: fc.integer({ min: 0, max: 60 }),
    })
    .map((r) =>
      rule(`r${i}`, {
        roles: r.roles,
        enabled: r.enabled,
        subjects: { technicianIds: r.covers ? ['tech'] : ['someone-else'], groups: [] },
        maxDurationMinutes: r.max,
        defaultDurationMinutes: 5,
        approval: { required: r.required, approvers: r.approvers, requestWindowMinutes: 60 },
        requireJustification: r.justification,
        requireTicket: r.ticket,
        selfServiceExtensionMinutes: r.selfService,
      }),
    );

const arbRules = fc.integer({ min: 0, max: 5 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => arbRule(i))));
const arbRequest = fc.record({
  roles: fc.subarray(ROLES, { minLength: 1 }),
  durationMinutes: fc.option(fc.integer({ min: 5, max: 480 }), { nil: undefined }),
  justification: fc.option(fc.constant('why'), { nil: undefined }),
  ticket: fc.option(fc.constant('INC-1'), { nil: undefined }),
});

describe('policy over several rules, as properties', () => {
  it('allows only what every role has a covering rule for, under terms no weaker than any rule it relies on', () => {
    fc.assert(
      fc.property(arbRules, arbRequest, (rules, req) => {
        const d = evaluateRequest(rules, technician, { customerId: 'c', ...req });
        const covering = rules.filter((r) => r.enabled && r.subjects.technicianIds.includes('tech'));
        const uncovered = req.roles.filter((role) => !covering.some((r) => r.roles.includes(role)));
        if (uncovered.length > 0) {
          expect(d.allowed).toBe(false);
          if (!d.allowed && covering.length > 0) {
            expect(d.code).toBe('ROLE_NOT_ALLOWED');
            for (const role of uncovered) expect(d.message).toContain(roleDisplayName(role));
          }
          return;
        }
        if (!d.allowed) return;
        // Every governing rule is a covering rule; every role is allowed by one of them.
        for (const g of d.rules) expect(covering).toContain(g);
        for (const role of req.roles) expect(d.rules.some((g) => g.roles.includes(role))).toBe(true);
        // The strictest terms of the governing rules apply.
        for (const g of d.rules) {
          expect(d.maxDurationMinutes).toBeLessThanOrEqual(g.maxDurationMinutes);
          expect(d.durationMinutes).toBeLessThanOrEqual(g.maxDurationMinutes);
          expect(d.approvalsRequired).toBeGreaterThanOrEqual(g.approval.required);
          expect(d.selfServiceExtensionMinutes).toBeLessThanOrEqual(g.selfServiceExtensionMinutes);
          if (g.requireJustification) expect(req.justification).toBeTruthy();
          if (g.requireTicket) expect(req.ticket).toBeTruthy();
          if (g.approval.required > 0) for (const a of d.approvers) expect(g.approval.approvers).toContain(a);
        }
        expect(d.approvers).not.toContain('tech');
        expect(d.approvers.length).toBeGreaterThanOrEqual(d.approvalsRequired);
        expect(d.rule).toBe(d.rules[0]);
      }),
      { seed: 12, numRuns: 2000 },
    );
  });

  it('asking for more roles never needs fewer approvals or allows a longer window than asking for fewer', () => {
    fc.assert(
      fc.property(arbRules, arbRequest, fc.constantFrom(...ROLES), (rules, req, extra) => {
        const small = evaluateRequest(rules, technician, { customerId: 'c', ...req });
        const big = evaluateRequest(rules, technician, { customerId: 'c', ...req, roles: [...new Set([...req.roles, extra])] });
        if (!big.allowed || !small.allowed) return;
        expect(big.approvalsRequired).toBeGreaterThanOrEqual(small.approvalsRequired);
        expect(big.maxDurationMinutes).toBeLessThanOrEqual(small.maxDurationMinutes);
      }),
      { seed: 7, numRuns: 2000 },
    );
  });

  it('a single role is allowed whenever some covering rule alone would allow it', () => {
    fc.assert(
      fc.property(arbRules, arbRequest, (rules, req) => {
        const role = req.roles[0]!;
        const alone = (r: EntitlementRule) =>
          r.enabled &&
          r.subjects.technicianIds.includes('tech') &&
          r.roles.includes(role) &&
          (req.durationMinutes ?? r.defaultDurationMinutes) <= r.maxDurationMinutes &&
          (!r.requireJustification || req.justification) &&
          (!r.requireTicket || req.ticket) &&
          r.approval.approvers.filter((a) => a !== 'tech').length >= r.approval.required;
        const d = evaluateRequest(rules, technician, { customerId: 'c', ...req, roles: [role] });
        if (rules.some(alone) && !d.allowed) {
          // The most lenient covering rule may have been chosen over one the request meets only if it meets it too.
          throw new Error(`refused ${d.code}: ${d.message}`);
        }
      }),
      { seed: 3, numRuns: 2000 },
    );
  });
});
