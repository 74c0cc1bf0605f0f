/**
 * First-start data for the demo: the provider with its branding, three customers (two connected to sample
 * tenants, one left for you to connect by admin consent), the sample people on the roster, and two rules.
 */
import type { Actor, JitAdminService, Store } from '@jitadmin/core';
import { DEMO_TENANTS } from './entra.js';
import { DEMO_GROUPS, DEMO_PEOPLE } from './people.js';

export const ROLE = {
  globalAdmin: '62e90394-69f5-4237-9190-012177145e10',
  userAdmin: 'fe930be7-5e62-47db-91af-98c3a49a38b1',
  helpdeskAdmin: '729827e3-9c14-49f7-bb1b-9608f156bbb8',
  exchangeAdmin: '29232cdf-9323-42fd-ade2-1d097af3e4de',
  securityAdmin: '194ae4cb-b126-40b2-bd5b-6091b380977d',
} as const;

/** Seeds on first start only; returns whether it did. */
export async function seedDemo(jit: JitAdminService, store: Store, providerId: string, providerName: string): Promise<boolean> {
  if (await store.getProvider(providerId)) return false;
  await jit.upsertProvider({
    id: providerId,
    name: providerName,
    branding: { name: providerName, accentColor: '#0f6cbd' },
  });
  const setup: Actor = { kind: 'system', providerId, name: 'setup' };
  for (const p of DEMO_PEOPLE) {
    await jit.upsertTechnician(setup, {
      id: p.id,
      subject: p.id,
      email: p.email,
      displayName: p.name,
      groups: p.groups,
      appRoles: [
        ...(p.groups.includes(DEMO_GROUPS.technician) ? (['technician'] as const) : []),
        ...(p.groups.includes(DEMO_GROUPS.approver) ? (['approver'] as const) : []),
        ...(p.groups.includes(DEMO_GROUPS.admin) ? (['admin'] as const) : []),
      ],
      active: true,
    });
  }
  for (const t of DEMO_TENANTS) {
    const customer = await jit.createCustomer(setup, { id: t.key, name: t.displayName });
    if (t.key !== 'tailspin') await jit.connectCustomer(setup, customer.id, { tenantId: t.tenantId });
  }
  await jit.createRule(setup, {
    id: 'helpdesk',
    name: 'Helpdesk work on every customer',
    subjects: { groups: [DEMO_GROUPS.technician] },
    customers: 'all',
    roles: [ROLE.helpdeskAdmin, ROLE.userAdmin],
    defaultDurationMinutes: 60,
    maxDurationMinutes: 240,
    approval: { required: 0 },
    credential: 'password',
  });
  await jit.createRule(setup, {
    id: 'global-admin',
    name: 'Global Administrator, with approval',
    subjects: { groups: [DEMO_GROUPS.technician] },
    customers: 'all',
    roles: [ROLE.globalAdmin, ROLE.exchangeAdmin, ROLE.securityAdmin],
    defaultDurationMinutes: 30,
    maxDurationMinutes: 120,
    approval: { required: 1, approvers: ['carol', 'dave'] },
    requireJustification: true,
    requireTicket: true,
    credential: 'password',
  });
  return true;
}
