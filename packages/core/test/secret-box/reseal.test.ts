/**
 * Key rotation end to end: credentials held under the old key (or sealed before key ids) are re-sealed under
 * the new one, after which a keyring without the old key reveals them; without re-sealing it cannot.
 */
import { createAesGcmSecretBox, createJitAdmin, generateSecretBoxKey, resealSecrets, verifyProviderChain, type Store } from '@jitadmin/core';
import { describe, expect, it } from 'vitest';
import { sealV1 } from '../support/seal-v1.js';
import { createWorld, KEY, PROVIDER, ROLES, type World } from '../support/world.js';

const NEW = generateSecretBoxKey();
const ringWithBoth = () => createAesGcmSecretBox([{ id: 'k2', key: NEW }, { id: 'default', key: KEY }]);
const ringNewOnly = () => createAesGcmSecretBox([{ id: 'k2', key: NEW }]);

/** An active grant of `w.tech` holding a sealed password and TAP (under the world's single key). */
async function activeGrant(w: World): Promise<string> {
  const grant = await w.jit.requestAccess(w.tech, { customerId: 'cust-1', roles: [ROLES.helpdesk], durationMinutes: 30 });
  await w.jit.scheduler.drain();
  expect((await w.jit.getGrant(w.tech, grant.id)).state).toBe('active');
  return grant.id;
}

const serviceWith = (w: World, secretBox: ReturnType<typeof createAesGcmSecretBox>, store: Store = w.store) =>
  createJitAdmin({ store, directory: w.directory, secretBox, clock: w.clock });

describe('resealSecrets', () => {
  it('re-seals held credentials under the current key, so the old key can go; audited, and a second run does nothing', async () => {
    const w = await createWorld();
    const grantId = await activeGrant(w);
    expect(await w.store.getSecret(PROVIDER, grantId, 'password')).toMatch(/^v2\.default\./);

    // Without re-sealing, a keyring that dropped the old key cannot reveal: a typed error, nothing revealed.
    await expect(serviceWith(w, ringNewOnly()).revealCredential(w.tech, grantId)).rejects.toMatchObject({ code: 'SECRET_KEY_UNKNOWN' });

    const report = await resealSecrets({ store: w.store, secretBox: ringWithBoth(), clock: w.clock });
    expect(report).toMatchObject({ keyId: 'k2', grantsResealed: 1, secretsResealed: 2, fromKey: { default: 2 }, grantsSkipped: 0 });
    expect(await w.store.getSecret(PROVIDER, grantId, 'password')).toMatch(/^v2\.k2\./);
    expect(await w.store.getSecret(PROVIDER, grantId, 'tap')).toMatch(/^v2\.k2\./);

    const audit = await w.store.listAudit(PROVIDER, { limit: 1000 });
    const event = audit.find((e) => e.action === 'grant.secrets_resealed');
    expect(event).toMatchObject({ grantId, actor: 'system:setup', details: { secrets: ['password', 'tap'], fromKeys: ['default'], toKey: 'k2' } });
    expect((await verifyProviderChain({ store: w.store }, PROVIDER)).ok).toBe(true);

    expect(await resealSecrets({ store: w.store, secretBox: ringWithBoth(), clock: w.clock })).toMatchObject({ grantsResealed: 0, secretsResealed: 0 });

    const revealed = await serviceWith(w, ringNewOnly()).revealCredential(w.tech, grantId);
    const user = w.directory.inspect.user(w.tenantId, (await w.jit.getGrant(w.tech, grantId)).account!.userPrincipalName)!;
    expect(w.directory.inspect.checkPassword(w.tenantId, user.objectId, revealed.password!)).toBe(true);
    expect(w.directory.inspect.checkTap(w.tenantId, user.objectId, revealed.temporaryAccessPass!)).toBe(true);
  });

  it('re-seals values sealed before key ids (v1 data of an upgraded server)', async () => {
    const w = await createWorld();
    const grantId = await activeGrant(w);
    const password = await createAesGcmSecretBox(KEY).open((await w.store.getSecret(PROVIDER, grantId, 'password'))!, `grant:${PROVIDER}:${grantId}:password`);
    await w.store.transaction((tx) => tx.putSecret(PROVIDER, grantId, 'password', sealV1(KEY, password, `grant:${PROVIDER}:${grantId}:password`)));

    const report = await resealSecrets({ store: w.store, secretBox: ringWithBoth(), clock: w.clock });
    expect(report.fromKey).toEqual({ '(none)': 1, default: 1 });
    const revealed = await serviceWith(w, ringNewOnly()).revealCredential(w.tech, grantId);
    expect(revealed.password).toBe(password);
  });

  it('never puts back a credential that a reveal destroyed while it was re-sealing', async () => {
    const w = await createWorld();
    const grantId = await activeGrant(w);
    let revealedMeanwhile = false;
    // The reveal lands between reseal's read of the secret and its write.
    const racing = new Proxy(w.store, {
      get(target, prop, receiver) {
        if (prop === 'getSecret') {
          return async (providerId: string, id: string, name: string) => {
            const value = await target.getSecret(providerId, id, name);
            if (!revealedMeanwhile && name === 'tap') {
              revealedMeanwhile = true;
              await w.jit.revealCredential(w.tech, grantId);
            }
            return value;
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    });
    const report = await resealSecrets({ store: racing, secretBox: ringWithBoth(), clock: w.clock });
    expect(revealedMeanwhile).toBe(true);
    expect(report.grantsResealed).toBe(0);
    expect(await w.store.getSecret(PROVIDER, grantId, 'password')).toBeNull();
    expect(await w.store.getSecret(PROVIDER, grantId, 'tap')).toBeNull();
  });

  it('refuses a SecretBox without key ids', async () => {
    const w = await createWorld();
    const plain = { seal: async (p: string) => p, open: async (s: string) => s };
    await expect(resealSecrets({ store: w.store, secretBox: plain })).rejects.toBeInstanceOf(TypeError);
  });
});
