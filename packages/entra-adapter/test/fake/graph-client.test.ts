import { Client, GraphError, PageIterator } from '@microsoft/microsoft-graph-client';
import { describe, expect, it } from 'vitest';
import { accessToken, newUserBody, tenantWith, useFake } from './support.js';

const { fake } = useFake();

async function clientFor(tenantId: string): Promise<Client> {
  const token = await accessToken(tenantId);
  return Client.init({ authProvider: (done) => done(null, token), defaultVersion: 'v1.0' });
}

describe('@microsoft/microsoft-graph-client against the fake', () => {
  it('creates, pages with PageIterator and reads errors as GraphError with code and requestId', async () => {
    const { tenant } = tenantWith(fake);
    const client = await clientFor(tenant.tenantId);
    const created = (await client.api('/users').post(newUserBody(tenant, 'sdk'))) as { id: string };
    for (let i = 0; i < 120; i++) tenant.addUser({ userPrincipalName: `sdk${i}@${tenant.domain}` });
    const first = await client.api('/users').select('id,userPrincipalName').top(50).get();
    const ids: string[] = [];
    await new PageIterator(client, first, (u: { id: string }) => {
      ids.push(u.id);
      return true;
    }).iterate();
    expect(new Set(ids).size).toBe(121);
    expect(ids).toContain(created.id);
    const err = await client
      .api('/users/00000000-0000-4000-8000-0000000000aa')
      .get()
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GraphError);
    expect(err).toMatchObject({ statusCode: 404, code: 'Request_ResourceNotFound' });
    expect((err as GraphError).requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((err as GraphError).date).toBeInstanceOf(Date);
  });
});
