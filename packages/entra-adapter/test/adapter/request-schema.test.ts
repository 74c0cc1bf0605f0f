/**
 * Every request body the adapter sends is valid for its Graph type in Microsoft's published v1.0 schema
 * (CSDL): no property the type lacks, values of the declared kind, enum values that exist. The bodies come
 * from whole lifecycles over the fake Entra ID (P2 on and off), captured on their way out.
 *
 * The schema is `/work/shared/graph/graph-v1.0.csdl.xml` when present (or `$GRAPH_CSDL`); elsewhere (CI) the
 * committed subset in `fixtures/graph-v1.0-subset.json`, which this test regenerates and compares whenever the
 * full document is at hand, so it cannot drift from it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { adapterOverFake, useFakeEntra, type SentBody } from './support/fake-env.js';
import { checkBody, parseCsdl, subset, type CsdlModel } from './support/csdl.js';

const ROOTS = ['user', 'passwordProfile', 'unifiedRoleAssignment', 'unifiedRoleAssignmentScheduleRequest', 'temporaryAccessPassAuthenticationMethod'];
const CSDL_PATH = process.env.GRAPH_CSDL ?? '/work/shared/graph/graph-v1.0.csdl.xml';
const FIXTURE = fileURLToPath(new URL('./fixtures/graph-v1.0-subset.json', import.meta.url));
const fixture = JSON.parse(readFileSync(FIXTURE, 'utf8')) as CsdlModel;
const full = existsSync(CSDL_PATH) ? parseCsdl(readFileSync(CSDL_PATH, 'utf8')) : null;
const model: CsdlModel = full ?? fixture;

/** Which Graph type a request's body is, by method and path. */
function typeOf(r: SentBody): string | null {
  if (r.method === 'POST' && r.path === '/users') return 'user';
  if (r.method === 'PATCH' && /^\/users\/[^/]+$/.test(r.path)) return 'user';
  if (r.method === 'POST' && r.path === '/roleManagement/directory/roleAssignments') return 'unifiedRoleAssignment';
  if (r.method === 'POST' && r.path === '/roleManagement/directory/roleAssignmentScheduleRequests') return 'unifiedRoleAssignmentScheduleRequest';
  if (r.method === 'POST' && /\/authentication\/temporaryAccessPassMethods$/.test(r.path)) return 'temporaryAccessPassAuthenticationMethod';
  return null;
}

const fake = useFakeEntra();
const ROLE_A = 'f2ef992c-3afb-46b9-b7cf-a126ee74c451';
const ROLE_B = '729827e3-9c14-49f7-bb1b-9608f156bbb8';

async function lifecycle(p2: boolean): Promise<SentBody[]> {
  const tenant = fake.addTenant({ p2, tapPolicy: true });
  const { directory, sent } = adapterOverFake();
  const ref = { tenantId: tenant.tenantId, defaultDomain: tenant.domain };
  const soon = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();
  const { account } = await directory.createAccount(ref, { userPrincipalName: `jit-schema@${tenant.domain}`, displayName: 'JIT schema', password: 'Schema-Strong-Pw-1!' });
  await directory.createAccount(ref, { userPrincipalName: `jit-schema@${tenant.domain}`, displayName: 'JIT schema', password: 'Schema-Strong-Pw-1!' });
  await directory.enableAccount(ref, account.objectId, 'Schema-Strong-Pw-2!');
  await directory.assignRole(ref, { objectId: account.objectId, roleId: ROLE_A, until: soon(1), justification: 'schema check' });
  await directory.assignRole(ref, { objectId: account.objectId, roleId: ROLE_A, until: soon(2), justification: 'schema check, extended' });
  await directory.assignRole(ref, { objectId: account.objectId, roleId: ROLE_B, until: null, justification: 'direct' });
  await directory.assignRole(ref, { objectId: account.objectId, roleId: ROLE_B, until: null, justification: 'direct again' });
  await directory.createTemporaryAccessPass(ref, account.objectId, { lifetimeMinutes: 60, usableOnce: true });
  await directory.removeRoleAssignments(ref, account.objectId, await directory.listRoleAssignments(ref, account.objectId));
  await directory.revokeSessions(ref, account.objectId);
  await directory.disableAccount(ref, account.objectId);
  await directory.deleteAccount(ref, account.objectId, { permanent: true });
  return sent;
}

describe('request bodies against the Graph v1.0 schema', () => {
  it.runIf(full !== null)('the committed schema subset equals the one derived from the full CSDL', () => {
    const { types, enums } = subset(full as CsdlModel, ROOTS);
    expect({ types: fixture.types, enums: fixture.enums }).toEqual({ types, enums });
  });

  it('the checker refuses unknown properties, wrong kinds and unknown enum members', () => {
    expect(checkBody(model, 'user', { accountEnabled: true, employeeType: 'jitadmin' })).toEqual([]);
    expect(checkBody(model, 'user', { accountEnabled: 'yes' })).toHaveLength(1);
    expect(checkBody(model, 'user', { passwordProfile: { password: 'x', forceChange: false } })).toEqual([
      'user.passwordProfile.forceChange: not a property of microsoft.graph.passwordProfile',
    ]);
    expect(checkBody(model, 'unifiedRoleAssignmentScheduleRequest', { action: 'adminGrant' })).toHaveLength(1);
    expect(checkBody(model, 'temporaryAccessPassAuthenticationMethod', { lifetimeInMinutes: 1.5 })).toHaveLength(1);
  });

  it.each([
    ['P2 tenant', true],
    ['tenant without P2', false],
  ])('every body sent in a whole lifecycle (%s) conforms', async (_name, p2) => {
    const sent = await lifecycle(p2);
    const withBody = sent.filter((r) => r.body !== undefined);
    const seen = new Set<string>();
    for (const r of withBody) {
      const type = typeOf(r);
      expect(type, `${r.method} ${r.path} has a body of no known type`).not.toBeNull();
      expect(checkBody(model, type as string, r.body), `${r.method} ${r.path}`).toEqual([]);
      seen.add(type as string);
      if ((r.body as { passwordProfile?: unknown }).passwordProfile) seen.add('passwordProfile');
    }
    // Without P2 the schedule request is still sent once: it is how the adapter learns the tenant lacks P2.
    expect([...seen].sort()).toEqual([...ROOTS].sort());
  });
});
