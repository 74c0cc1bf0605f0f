/** A second provider in the same store, with its own customer, person, rule and grant: none of it may leak. */
import type { Actor } from '@jitadmin/core';
import type { Harness } from './helpers.js';
import { eventually, ROLES } from './helpers.js';

export interface OtherProvider {
  providerId: string;
  customerId: string;
  technicianId: string;
  ruleId: string;
  grantId: string;
}

export async function seedOtherProvider(h: Harness): Promise<OtherProvider> {
  const jit = h.server.jit;
  const providerId = 'other-msp';
  await jit.upsertProvider({ id: providerId, name: 'Other MSP' });
  const setup: Actor = { kind: 'system', providerId, name: 'setup' };
  await jit.upsertTechnician(setup, { id: 'eve', subject: 'eve-sub', email: 'eve@other.example', displayName: 'Eve', appRoles: ['technician', 'approver', 'admin'] });
  const customer = await jit.createCustomer(setup, { id: 'other-cust', name: 'Other Customer' });
  await jit.connectCustomer(setup, customer.id, { tenantId: h.server.demo!.fake.tenants()[0]!.tenantId });
  const rule = await jit.createRule(setup, {
    id: 'other-rule',
    name: 'Other rule',
    subjects: { technicianIds: ['eve'] },
    customers: 'all',
    roles: [ROLES.securityReader],
    defaultDurationMinutes: 30,
    maxDurationMinutes: 60,
  });
  const eve: Actor = { kind: 'person', providerId, technicianId: 'eve', appRoles: ['technician', 'approver', 'admin'], groups: [] };
  const grant = await jit.requestAccess(eve, { customerId: customer.id, roles: [ROLES.securityReader] });
  await eventually(async () => ((await jit.getGrant(eve, grant.id)).state === 'active' ? true : undefined), 20_000, 'other grant active');
  return { providerId, customerId: customer.id, technicianId: 'eve', ruleId: rule.id, grantId: grant.id };
}
