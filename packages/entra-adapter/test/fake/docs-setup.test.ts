import { afterAll, beforeAll, expect, it } from 'vitest';
import { createFakeEntra, setupFakeEntraServer } from '@jitadmin/entra-adapter/testing';

const fake = createFakeEntra();
const server = setupFakeEntraServer(fake);
fake.registerApp({ clientId: 'my-app-id', clientSecret: 'my-secret' });
const tenant = fake.addTenant({ p2: true, tapPolicy: true });
beforeAll(() => server.listen());
afterAll(() => server.close());
// ---- the lines above are docs/adapters/fake-entra.md's setup, verbatim (checked below) ----

import { readFileSync } from 'node:fs';

it('the documented setup is this file, verbatim', () => {
  const doc = readFileSync(new URL('../../../../docs/adapters/fake-entra.md', import.meta.url), 'utf8');
  const block = /<!-- setup:[^>]*-->\n```ts\n([\s\S]*?)```/.exec(doc)?.[1];
  const self = readFileSync(new URL(import.meta.url), 'utf8');
  expect(block).toBeDefined();
  expect(self.startsWith(block as string)).toBe(true);
  expect((block as string).trim().split('\n').length).toBeLessThanOrEqual(10);
});

it('the documented setup serves tokens and Graph, and fails unhandled requests', async () => {
  const tok = await fetch(`https://login.microsoftonline.com/${tenant.tenantId}/oauth2/v2.0/token`, {
    method: 'POST',
    body: new URLSearchParams({ client_id: 'my-app-id', client_secret: 'my-secret', grant_type: 'client_credentials', scope: 'https://graph.microsoft.com/.default' }),
  });
  const { access_token } = (await tok.json()) as { access_token: string };
  const org = await fetch('https://graph.microsoft.com/v1.0/organization', { headers: { authorization: `Bearer ${access_token}` } });
  expect(((await org.json()) as { value: { id: string }[] }).value[0]?.id).toBe(tenant.tenantId);
  await expect(fetch('https://example.invalid/')).rejects.toThrow();
});
