import { createAesGcmSecretBox, createJitAdmin, createMemoryStore, generateSecretBoxKey, type Actor } from '@jitadmin/core';
import { createFakeDirectory, createTestClock } from '@jitadmin/core/fakes';

const HELPDESK_ADMIN = '729827e3-9c14-49f7-bb1b-9608f156bbb8';

export async function main() {
  const clock = createTestClock(); // time moves only when we say so
  const directory = createFakeDirectory({ clock }); // swap for entraDirectory(...) in production
  const tenant = directory.addTenant();
  const jit = createJitAdmin({ store: createMemoryStore(), directory, secretBox: createAesGcmSecretBox(generateSecretBoxKey()), clock });

  const setup: Actor = { kind: 'system', providerId: 'msp', name: 'setup' };
  await jit.upsertProvider({ id: 'msp', name: 'Contoso MSP' });
  await jit.upsertTechnician(setup, { id: 'ana', subject: 'idp|ana', email: 'ana@contoso.example', displayName: 'Ana', groups: ['helpdesk'] });
  await jit.upsertTechnician(setup, { id: 'bo', subject: 'idp|bo', email: 'bo@contoso.example', displayName: 'Bo', appRoles: ['approver'] });
  await jit.createCustomer(setup, { id: 'fabrikam', name: 'Fabrikam' });
  await jit.connectCustomer(setup, 'fabrikam', { tenantId: tenant.tenantId });
  await jit.createRule(setup, {
    name: 'Helpdesk admins, one approval',
    subjects: { groups: ['helpdesk'] },
    customers: 'all',
    roles: [HELPDESK_ADMIN],
    defaultDurationMinutes: 60,
    maxDurationMinutes: 240,
    approval: { required: 1, approvers: ['bo'] },
  });

  const ana: Actor = { kind: 'person', providerId: 'msp', technicianId: 'ana', appRoles: ['technician'] };
  const bo: Actor = { kind: 'person', providerId: 'msp', technicianId: 'bo', appRoles: ['approver'] };
  const requested = await jit.requestAccess(ana, { customerId: 'fabrikam', roles: [HELPDESK_ADMIN], durationMinutes: 30 });
  await jit.approve(bo, requested.id, { comment: 'ticket 4711' });

  await jit.scheduler.runOnce(); // in a server: jit.scheduler.start()
  const credential = await jit.revealCredential(ana, requested.id);

  await clock.advance(30 * 60_000); // the window ends
  await jit.scheduler.drain();
  const ended = await jit.getGrant(ana, requested.id);
  await jit.close(); // stops the scheduler; with closeStore: true, closes the store too
  return { upn: credential.userPrincipalName, state: ended.state, account: directory.inspect.user(tenant.tenantId, credential.userPrincipalName) };
}
