import { BatchRequestContent, BatchResponseContent, Client, GraphError, PageIterator } from '@microsoft/microsoft-graph-client';
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

  it("the SDK's BatchRequestContent / BatchResponseContent read the fake's $batch answers", async () => {
    const { tenant } = tenantWith(fake);
    const client = await clientFor(tenant.tenantId);
    const user = tenant.addUser({ userPrincipalName: `batch@${tenant.domain}` });
    const batch = new BatchRequestContent([
      { id: '1', request: new Request(`https://graph.microsoft.com/v1.0/users/${user.id}`, { method: 'GET' }) },
      {
        id: '2',
        request: new Request('https://graph.microsoft.com/v1.0/users/00000000-0000-4000-8000-0000000000bb', { method: 'GET' }),
        dependsOn: ['1'],
      },
    ]);
    const raw = await client.api('/$batch').post(await batch.getContent());
    const responses = new BatchResponseContent(raw);
    const one = responses.getResponseById('1');
    expect(one.status).toBe(200);
    expect(((await one.json()) as { id: string }).id).toBe(user.id);
    expect(responses.getResponseById('2').status).toBe(404);
  });
});
