import { beforeEach, expect, it } from 'vitest';
import type { Store } from '../../ports/store.js';
import type { SessionStore } from '../../ports/sessions.js';
import { PROVIDER_A, PROVIDER_B, at } from './factories.js';
import { type SuiteContext, expectCode, section } from './helpers.js';
import { makeApiToken, makeSession } from './session-factories.js';

/**
 * The optional `sessions` capability group: sessions and API tokens kept by digest, found by digest, ended for
 * good, per provider; and the secrets themselves never stored.
 */
export function sessionTests(ctx: SuiteContext): void {
  let store: Store;
  beforeEach(() => {
    ({ store } = ctx.h());
  });
  const s = (): SessionStore => {
    if (!store.sessions) throw new Error('unreachable: the section is skipped without sessions');
    return store.sessions;
  };
  // Reported as skipped for stores without the group (an optional capability).
  const when = (title: string, fn: () => Promise<void>) =>
    it(title, async (test) => {
      if (!store.sessions) test.skip('the store has no sessions capability group');
      await fn();
    });

  section(ctx, 'sessions', 'sessions and API tokens (optional capability group)', () => {
    when('stores a session by the digest of its secret, never the secret, and finds it by that digest', async () => {
      const { session, secret } = makeSession({ idpRefreshToken: 'sealed:refresh' });
      await s().createSession(session);
      expect(await s().getSessionByHash(PROVIDER_A, session.secretHash)).toEqual(session);
      expect(await s().getSessionByHash(PROVIDER_A, makeSession().session.secretHash)).toBeNull();
      const text = await ctx.h().inspect.allText();
      expect(text).toContain(session.secretHash);
      expect(text).not.toContain(secret);
    });

    when('refuses a second session with the same id or digest (CONFLICT)', async () => {
      const { session } = makeSession();
      await s().createSession(session);
      await expectCode(s().createSession({ ...makeSession().session, id: session.id }), 'CONFLICT');
      await expectCode(s().createSession({ ...makeSession().session, secretHash: session.secretHash }), 'CONFLICT');
    });

    when('touches a live session; once ended it stays ended, whatever touches it after', async () => {
      const { session } = makeSession();
      await s().createSession(session);
      const touched = await s().touchSession(PROVIDER_A, session.id, { lastSeenAt: at(5), idleExpiresAt: at(65), rolesCheckedAt: at(5) });
      expect(touched).toEqual({ ...session, lastSeenAt: at(5), idleExpiresAt: at(65), rolesCheckedAt: at(5) });
      expect(await s().getSessionByHash(PROVIDER_A, session.secretHash)).toEqual(touched);
      expect(await s().endSession(PROVIDER_A, session.id, at(6), 'signed_out')).toBe(true);
      expect(await s().endSession(PROVIDER_A, session.id, at(7), 'revoked')).toBe(false);
      expect(await s().touchSession(PROVIDER_A, session.id, { lastSeenAt: at(8) })).toBeNull();
      const ended = await s().getSessionByHash(PROVIDER_A, session.secretHash);
      expect(ended).toMatchObject({ endedAt: at(6), endReason: 'signed_out', lastSeenAt: at(5) });
      expect(await s().touchSession(PROVIDER_A, 'no-such-session', { lastSeenAt: at(8) })).toBeNull();
    });

    when('forgets the IdP refresh token when a session ends', async () => {
      const { session } = makeSession({ idpRefreshToken: 'sealed:refresh-1' });
      await s().createSession(session);
      await s().endSession(PROVIDER_A, session.id, at(1), 'signed_out');
      expect((await s().getSessionByHash(PROVIDER_A, session.secretHash))!.idpRefreshToken).toBeNull();
      expect(await ctx.h().inspect.allText()).not.toContain('sealed:refresh-1');
    });

    when("ends every live session of one technician, and only theirs; lists the live ones newest first", async () => {
      const a1 = makeSession({ technicianId: 'tech-a', createdAt: at(1) }).session;
      const a2 = makeSession({ technicianId: 'tech-a', createdAt: at(2) }).session;
      const a3 = makeSession({ technicianId: 'tech-a', createdAt: at(3) }).session;
      const b = makeSession({ technicianId: 'tech-b' }).session;
      const otherProvider = makeSession({ providerId: PROVIDER_B, technicianId: 'tech-a' }).session;
      for (const x of [a1, a2, a3, b, otherProvider]) await s().createSession(x);
      expect((await s().listSessions(PROVIDER_A, 'tech-a')).map((x) => x.id)).toEqual([a3.id, a2.id, a1.id]);
      await s().endSession(PROVIDER_A, a2.id, at(4), 'signed_out');
      expect(await s().endSessionsOf(PROVIDER_A, 'tech-a', at(5), 'deactivated')).toBe(2);
      expect(await s().endSessionsOf(PROVIDER_A, 'tech-a', at(6), 'deactivated')).toBe(0);
      expect(await s().listSessions(PROVIDER_A, 'tech-a')).toEqual([]);
      expect((await s().getSessionByHash(PROVIDER_A, a2.secretHash))!.endReason).toBe('signed_out');
      expect((await s().getSessionByHash(PROVIDER_A, a3.secretHash))!.endReason).toBe('deactivated');
      expect((await s().listSessions(PROVIDER_A, 'tech-b')).map((x) => x.id)).toEqual([b.id]);
      expect((await s().listSessions(PROVIDER_B, 'tech-a')).map((x) => x.id)).toEqual([otherProvider.id]);
    });

    when("keeps providers apart: another provider's session or token is not found and not ended", async () => {
      const { session } = makeSession();
      const { token } = makeApiToken();
      await s().createSession(session);
      await s().createApiToken(token);
      expect(await s().getSessionByHash(PROVIDER_B, session.secretHash)).toBeNull();
      expect(await s().getApiTokenByHash(PROVIDER_B, token.secretHash)).toBeNull();
      expect(await s().endSession(PROVIDER_B, session.id, at(1), 'revoked')).toBe(false);
      expect(await s().touchSession(PROVIDER_B, session.id, { lastSeenAt: at(1) })).toBeNull();
      expect(await s().revokeApiToken(PROVIDER_B, token.id, at(1), 'technician:x', 'revoked')).toBe(false);
      expect(await s().endSessionsOf(PROVIDER_B, session.technicianId, at(1), 'deactivated')).toBe(0);
      expect(await s().revokeApiTokensOf(PROVIDER_B, token.technicianId, at(1), 'technician:x', 'deactivated')).toBe(0);
      expect(await s().getSessionByHash(PROVIDER_A, session.secretHash)).toEqual(session);
      expect(await s().getApiTokenByHash(PROVIDER_A, token.secretHash)).toEqual(token);
    });

    when('stores an API token by digest, records its use, and revokes it for good (forgetting its IdP refresh token)', async () => {
      const { token, secret } = makeApiToken({ idpRefreshToken: 'sealed:token-refresh-1' });
      await s().createApiToken(token);
      expect(await ctx.h().inspect.allText()).not.toContain(secret);
      expect(await s().getApiTokenByHash(PROVIDER_A, token.secretHash)).toEqual(token);
      await expectCode(s().createApiToken({ ...makeApiToken().token, secretHash: token.secretHash }), 'CONFLICT');
      const touched = await s().touchApiToken(PROVIDER_A, token.id, { lastUsedAt: at(3), rolesCheckedAt: at(3), idpRefreshToken: 'sealed:token-refresh-2' });
      expect(touched).toEqual({ ...token, lastUsedAt: at(3), rolesCheckedAt: at(3), idpRefreshToken: 'sealed:token-refresh-2' });
      expect(await s().getApiTokenByHash(PROVIDER_A, token.secretHash)).toEqual(touched);
      expect(await s().revokeApiToken(PROVIDER_A, token.id, at(4), 'technician:tech-1', 'revoked')).toBe(true);
      expect(await s().revokeApiToken(PROVIDER_A, token.id, at(5), 'technician:tech-1', 'revoked')).toBe(false);
      expect(await s().touchApiToken(PROVIDER_A, token.id, { lastUsedAt: at(6) })).toBeNull();
      expect(await s().touchApiToken(PROVIDER_A, 'no-such-token', { lastUsedAt: at(6) })).toBeNull();
      expect(await s().getApiTokenByHash(PROVIDER_A, token.secretHash)).toEqual({
        ...touched,
        revokedAt: at(4),
        revokedBy: 'technician:tech-1',
        revokeReason: 'revoked',
        idpRefreshToken: null,
      });
      expect(await ctx.h().inspect.allText()).not.toContain('sealed:token-refresh');
    });

    when("revokes every token of one technician, and lists the others' newest first", async () => {
      const t1 = makeApiToken({ technicianId: 'tech-a', createdAt: at(1) }).token;
      const t2 = makeApiToken({ technicianId: 'tech-a', createdAt: at(2), expiresAt: at(3) }).token;
      const other = makeApiToken({ technicianId: 'tech-b' }).token;
      for (const x of [t1, t2, other]) await s().createApiToken(x);
      // Expired tokens are still listed (until purged): the list shows them as expired.
      expect((await s().listApiTokens(PROVIDER_A, 'tech-a')).map((x) => x.id)).toEqual([t2.id, t1.id]);
      expect(await s().revokeApiTokensOf(PROVIDER_A, 'tech-a', at(10), 'system:setup', 'deactivated')).toBe(2);
      expect(await s().listApiTokens(PROVIDER_A, 'tech-a')).toEqual([]);
      expect((await s().getApiTokenByHash(PROVIDER_A, t1.secretHash))!).toMatchObject({ revokedAt: at(10), revokeReason: 'deactivated' });
      expect((await s().listApiTokens(PROVIDER_A, 'tech-b')).map((x) => x.id)).toEqual([other.id]);
    });

    when('purges what ended or expired before the given instant, and nothing else', async () => {
      const ended = makeSession({ endedAt: at(1), endReason: 'signed_out' }).session;
      const idle = makeSession({ idleExpiresAt: at(2) }).session;
      const live = makeSession({ idleExpiresAt: at(100), expiresAt: at(200) }).session;
      const revoked = makeApiToken({ revokedAt: at(1), revokedBy: 'system:setup', revokeReason: 'revoked' }).token;
      const expired = makeApiToken({ expiresAt: at(2) }).token;
      const valid = makeApiToken({ expiresAt: at(300) }).token;
      for (const x of [ended, idle, live]) await s().createSession(x);
      for (const x of [revoked, expired, valid]) await s().createApiToken(x);
      expect(await s().purgeEnded(at(50))).toBe(4);
      expect(await s().getSessionByHash(PROVIDER_A, ended.secretHash)).toBeNull();
      expect(await s().getSessionByHash(PROVIDER_A, idle.secretHash)).toBeNull();
      expect(await s().getSessionByHash(PROVIDER_A, live.secretHash)).toEqual(live);
      expect(await s().getApiTokenByHash(PROVIDER_A, revoked.secretHash)).toBeNull();
      expect(await s().getApiTokenByHash(PROVIDER_A, expired.secretHash)).toBeNull();
      expect(await s().getApiTokenByHash(PROVIDER_A, valid.secretHash)).toEqual(valid);
    });

    when('ends a session exactly once when many replicas end it at once', async () => {
      const { session } = makeSession();
      await s().createSession(session);
      const results = await Promise.all(Array.from({ length: 8 }, (_, i) => s().endSession(PROVIDER_A, session.id, at(i + 1), 'signed_out')));
      expect(results.filter(Boolean)).toHaveLength(1);
      const touches = await Promise.all(Array.from({ length: 4 }, () => s().touchSession(PROVIDER_A, session.id, { lastSeenAt: at(9) })));
      expect(touches).toEqual([null, null, null, null]);
    });
  });
}
