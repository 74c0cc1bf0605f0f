/**
 * The demo's Entra ID: the fake from `@jitadmin/entra-adapter/testing`, answering Graph and login calls
 * in-process through msw. Requests to this machine pass through; any other unhandled request fails, so the
 * demo never reaches Microsoft or anyone else.
 */
import { randomBytes } from 'node:crypto';
import { createFakeEntra, setupFakeEntraServer, type FakeEntra } from '@jitadmin/entra-adapter/testing';
import type { SetupServer } from 'msw/node';

export const DEMO_ENTRA_CLIENT_ID = '5c1e7a52-0d3b-4f0e-9a8e-6a1d2c3b4a50';

export interface DemoTenant {
  key: string;
  tenantId: string;
  displayName: string;
  domain: string;
  p2: boolean;
  tapPolicy: boolean;
}

/** Three sample customer tenants (fixed ids, so a restarted demo finds its customers' tenants again). */
export const DEMO_TENANTS: readonly DemoTenant[] = [
  { key: 'fabrikam', tenantId: '6f1c0b8e-1a2b-4c3d-8e9f-0a1b2c3d4e01', displayName: 'Fabrikam', domain: 'fabrikam.onmicrosoft.com', p2: true, tapPolicy: true },
  { key: 'northwind', tenantId: '6f1c0b8e-1a2b-4c3d-8e9f-0a1b2c3d4e02', displayName: 'Northwind Traders', domain: 'northwindtraders.onmicrosoft.com', p2: false, tapPolicy: true },
  { key: 'tailspin', tenantId: '6f1c0b8e-1a2b-4c3d-8e9f-0a1b2c3d4e03', displayName: 'Tailspin Toys', domain: 'tailspintoys.onmicrosoft.com', p2: false, tapPolicy: false },
];

const LOCAL_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export interface DemoEntra {
  fake: FakeEntra;
  server: SetupServer;
  clientSecret: string;
  close(): void;
}

/** Starts the fake with the demo tenants. `consented`: tenant ids our app is already consented in. */
export function startDemoEntra(options: { consented: (tenantId: string) => boolean; localHosts?: readonly string[] }): DemoEntra {
  const fake = createFakeEntra({ seed: Date.now() % 2_147_483_647 });
  const clientSecret = randomBytes(24).toString('base64url');
  fake.registerApp({ clientId: DEMO_ENTRA_CLIENT_ID, clientSecret, displayName: 'jitadmin (demo)' });
  for (const t of DEMO_TENANTS) {
    fake.addTenant({ tenantId: t.tenantId, displayName: t.displayName, domain: t.domain, p2: t.p2, tapPolicy: t.tapPolicy, consented: options.consented(t.tenantId) });
  }
  const local = new Set([...LOCAL_HOSTS, ...(options.localHosts ?? [])]);
  const server = setupFakeEntraServer(fake);
  server.listen({
    onUnhandledRequest(request, print) {
      if (local.has(new URL(request.url).hostname)) return; // our own server (dev IdP) passes through
      print.error();
    },
  });
  // The fake logs every request; keep the log short in a long-running demo.
  const trim = setInterval(() => {
    if (fake.requests.length > 2000) fake.requests.splice(0, fake.requests.length - 500);
  }, 60_000);
  trim.unref();
  return {
    fake,
    server,
    clientSecret,
    close() {
      clearInterval(trim);
      server.close();
    },
  };
}
