import { createAesGcmSecretBox, createJitAdmin, generateSecretBoxKey, type Actor } from '@jitadmin/core';
import { entraDirectory } from '@jitadmin/entra-adapter';
import { createFakeEntra, setupFakeEntraServer } from '@jitadmin/entra-adapter/testing';
import { openEmbedded, postgresStore } from '@jitadmin/store-postgres';

const HELPDESK_ADMIN = '729827e3-9c14-49f7-bb1b-9608f156bbb8';

export async function offline(dataDir?: string) {
  const entra = createFakeEntra(); // Microsoft Entra ID and Graph, in this process
  entra.registerApp({ clientId: 'my-app-id', clientSecret: 'my-secret' });
  const tenant = entra.addTenant({ displayName: 'Fabrikam', tapPolicy: true });
  const graph = setupFakeEntraServer(entra);
  graph.listen(); // from here on, calls to graph.microsoft.com and login.microsoftonline.com reach the fake

  const jit = createJitAdmin({
    store: await postgresStore({ db: await openEmbedded(dataDir) }), // PGlite: in memory without a dataDir
    directory: entraDirectory({ clientId: 'my-app-id', credential: { clientSecret: 'my-secret' } }), // the real adapter
    secretBox: createAesGcmSecretBox(generateSecretBoxKey()),
    closeStore: true, // jit.close() closes the store (and PGlite) too
  });
  try {
    const setup: Actor = { kind: 'system', providerId: 'msp', name: 'setup' };
    await jit.upsertProvider({ id: 'msp', name: 'Contoso MSP' });
    await jit.upsertTechnician(setup, { id: 'ana', subject: 'idp|ana', email: 'ana@contoso.example', displayName: 'Ana', appRoles: ['technician'] });
    await jit.createCustomer(setup, { id: 'fabrikam', name: 'Fabrikam' });
    const customer = await jit.connectCustomer(setup, 'fabrikam', { tenantId: tenant.tenantId });
    await jit.createRule(setup, {
      name: 'Ana, helpdesk admin, no approval',
      subjects: { technicianIds: ['ana'] },
      customers: 'all',
      roles: [HELPDESK_ADMIN],
      defaultDurationMinutes: 60,
      maxDurationMinutes: 60,
    });

    const ana: Actor = { kind: 'person', providerId: 'msp', technicianId: 'ana', appRoles: ['technician'] };
    const grant = await jit.requestAccess(ana, { customerId: 'fabrikam', roles: [HELPDESK_ADMIN], durationMinutes: 60 });
    await jit.scheduler.drain(); // creates the account in the fake tenant, over Graph
    const credential = await jit.revealCredential(ana, grant.id);
    const account = tenant.findUser(credential.userPrincipalName); // the fake's back door: what Entra holds
    const roles = account ? tenant.rolesOf(account.id) : [];

    await jit.revoke(ana, grant.id, { reason: 'done' });
    await jit.scheduler.drain(); // signs out, strips and deletes it
    const ended = await jit.getGrant(ana, grant.id);
    return { connection: customer.connection?.status, upn: credential.userPrincipalName, roles, state: ended.state };
  } finally {
    await jit.close();
    graph.close();
  }
}
