/**
 * The shared DirectoryAdapter conformance suite, run on the Entra adapter over the fake Entra ID (msw), for
 * every tenant shape the suite asks for (P2 on/off × TAP policy on/off). The suite checks results through
 * the fake's own state (`inspectorFor`), never through the adapter.
 */
import { describeDirectoryConformance } from '@jitadmin/core/testing';
import { adapterOverFake, inspectorFor, useFakeEntra } from './support/fake-env.js';

const fake = useFakeEntra();

describeDirectoryConformance({
  name: 'entra (fake Entra ID over msw)',
  setup({ p2, tap }) {
    const tenant = fake.addTenant({ p2, tapPolicy: tap });
    const { directory } = adapterOverFake();
    return {
      directory,
      tenant: { tenantId: tenant.tenantId, defaultDomain: tenant.domain },
      inspect: inspectorFor(fake, tenant),
      async teardown() {},
    };
  },
});
