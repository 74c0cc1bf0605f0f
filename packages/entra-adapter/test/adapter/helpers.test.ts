/** Properties of the small helpers: mail nicknames, throwaway passwords, missing permissions, Retry-After. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { passwordIsStrong } from '@jitadmin/entra-adapter/testing';
import { mailNicknameFor, unknowablePassword } from '../../src/naming.js';
import { REQUIRED_PERMISSIONS, holdsPermission, missingPermissions } from '../../src/markers.js';
import { retryAfterMs, rolesClaim, tokenLifetimeMs } from '../../src/token-provider.js';
import { scrub } from '../../src/errors.js';

describe('mailNicknameFor', () => {
  it('is 1–64 characters Entra accepts in a mail nickname, for any UPN', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 120 }), fc.domain(), (local, domain) => {
        const nick = mailNicknameFor(`${local}@${domain}`);
        expect(nick).toMatch(/^[A-Za-z0-9._-]{1,64}$/);
        expect(nick.startsWith('.') || nick.endsWith('.')).toBe(false);
      }),
    );
  });

  it('keeps a plain local part as it is', () => {
    expect(mailNicknameFor('jit-abc.123@contoso.com')).toBe('jit-abc.123');
  });
});

describe('unknowablePassword', () => {
  it('is 64 characters, passes Entra complexity, and never repeats', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      const p = unknowablePassword();
      expect(p).toHaveLength(64);
      expect(passwordIsStrong(p)).toBe(true);
      expect([/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].every((r) => r.test(p))).toBe(true);
      seen.add(p);
    }
    expect(seen.size).toBe(200);
  });
});

describe('missingPermissions', () => {
  it('is exactly the required permissions not held, broader grants counting for narrower ones', () => {
    fc.assert(
      fc.property(fc.subarray([...REQUIRED_PERMISSIONS]), (held) => {
        const missing = missingPermissions(held);
        for (const p of REQUIRED_PERMISSIONS) expect(missing.includes(p)).toBe(!holdsPermission(held, p));
        for (const p of held) expect(missing).not.toContain(p);
      }),
    );
    expect(missingPermissions(['Directory.ReadWrite.All'])).not.toContain('Directory.Read.All');
    expect(missingPermissions(['RoleManagement.ReadWrite.Directory'])).not.toContain('RoleAssignmentSchedule.ReadWrite.Directory');
  });
});

describe('retryAfterMs', () => {
  it('reads delta-seconds and HTTP dates, and ignores junk', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 86_400 }), (s) => {
      expect(retryAfterMs(String(s))).toBe(s * 1000);
    }));
    const now = Date.parse('2026-11-26T10:00:00Z');
    expect(retryAfterMs('Thu, 26 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(retryAfterMs('soon', now)).toBeUndefined();
    expect(retryAfterMs(null)).toBeUndefined();
  });
});

describe('rolesClaim', () => {
  it('reads roles from a JWT payload and is empty for anything else', () => {
    const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    expect(rolesClaim(`${b({})}.${b({ roles: ['A', 7, 'B'] })}.s`)).toEqual(['A', 'B']);
    expect(rolesClaim('opaque-token')).toEqual([]);
    expect(rolesClaim('a.!!!.c')).toEqual([]);
  });
});

describe('tokenLifetimeMs', () => {
  const b = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  it('is exp - iat from the token itself, with no real time in it', () => {
    expect(tokenLifetimeMs(`${b({})}.${b({ iat: 1_000, exp: 4_599 })}.s`)).toBe(3_599_000);
  });
  it('is undefined when the token does not say, or says nonsense', () => {
    expect(tokenLifetimeMs('opaque-token')).toBeUndefined();
    expect(tokenLifetimeMs(`${b({})}.${b({ exp: 4_599 })}.s`)).toBeUndefined();
    expect(tokenLifetimeMs(`${b({})}.${b({ iat: 5_000, exp: 4_599 })}.s`)).toBeUndefined();
    expect(tokenLifetimeMs(`${b({})}.${b({ iat: '1', exp: 4_599 })}.s`)).toBeUndefined();
  });
});

describe('scrub', () => {
  it('removes every occurrence of every secret, whatever surrounds it', () => {
    fc.assert(
      fc.property(fc.string(), fc.string({ minLength: 8, maxLength: 40 }), fc.string(), (before, secret, after) => {
        fc.pre(!'[redacted]'.includes(secret));
        expect(scrub(`${before}${secret}${after}${secret}`, [secret]).includes(secret)).toBe(false);
      }),
    );
  });
});
