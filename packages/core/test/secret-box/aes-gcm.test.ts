import { createAesGcmSecretBox, generateSecretBoxKey, SecretKeyError, ValidationError } from '@jitadmin/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

const key = generateSecretBoxKey();
const box = createAesGcmSecretBox(key);

/** What `open` threw (fails the test if it opened). */
async function openError(sealed: string, context: string, b = box): Promise<Error> {
  const error = await b.open(sealed, context).then(
    () => null,
    (e: unknown) => e as Error,
  );
  expect(error, 'open should have failed').not.toBeNull();
  return error!;
}

describe('createAesGcmSecretBox', () => {
  it('round-trips any text under any context, and each seal differs (random IV)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 200 }), fc.string({ maxLength: 80 }), async (plaintext, context) => {
        const a = await box.seal(plaintext, context);
        const b = await box.seal(plaintext, context);
        expect(a).not.toBe(b);
        expect(a).toMatch(/^v2\.default\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]*$/);
        if (plaintext.length >= 8) expect(a).not.toContain(plaintext);
        expect(await box.open(a, context)).toBe(plaintext);
      }),
      { numRuns: 200 },
    );
  });

  it('accepts the key as bytes too, and opens what the base64 form sealed', async () => {
    const bytes = Buffer.from(key, 'base64');
    const sealed = await box.seal('P@ssw0rd!', 'grant:p:g:password');
    expect(await createAesGcmSecretBox(new Uint8Array(bytes)).open(sealed, 'grant:p:g:password')).toBe('P@ssw0rd!');
  });

  it('refuses any change to any character of the sealed form, without echoing the plaintext', async () => {
    const plaintext = 'Correct-Horse-Battery-Staple-42';
    const context = 'grant:prov-a:g-1:password';
    const sealed = await box.seal(plaintext, context);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: sealed.length - 1 }),
        fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.'),
        async (index, replacement) => {
          fc.pre(sealed[index] !== replacement);
          const tampered = sealed.slice(0, index) + replacement + sealed.slice(index + 1);
          // A change in the last base64url character may only touch padding bits: then the bytes are equal.
          fc.pre(!sameBytes(sealed, tampered));
          const error = await openError(tampered, context);
          // A changed key id names a key the box does not hold; any other change is tampering.
          const inKeyId = index >= 3 && index < 3 + 'default'.length && /^[A-Za-z0-9_-]$/.test(replacement);
          expect(error).toBeInstanceOf(inKeyId ? SecretKeyError : ValidationError);
          expect((error as ValidationError).code).toBe(inKeyId ? 'SECRET_KEY_UNKNOWN' : 'VALIDATION_FAILED');
          expect(error.message).not.toContain(plaintext);
          expect(error.message).not.toContain(key);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('refuses a truncated, extended or malformed sealed form', async () => {
    const sealed = await box.seal('secret', 'ctx');
    for (const bad of [
      '',
      'v1',
      sealed.slice(0, -2),
      `${sealed}AA`,
      sealed.replace(/^v2/, 'v3'),
      sealed.replace(/^v2\.default\./, 'v2.bad.key.'),
      `${sealed}.extra`,
      sealed.replace(/\./g, ':'),
      'v1.!!!.???.***',
    ]) {
      expect(await openError(bad, 'ctx')).toBeInstanceOf(ValidationError);
    }
  });

  it('refuses to open under another context or another key', async () => {
    const sealed = await box.seal('the-password', 'grant:prov-a:g-1:password');
    expect(await openError(sealed, 'grant:prov-a:g-1:tap')).toBeInstanceOf(ValidationError);
    expect(await openError(sealed, 'grant:prov-b:g-1:password')).toBeInstanceOf(ValidationError);
    const other = createAesGcmSecretBox(generateSecretBoxKey());
    const error = await openError(sealed, 'grant:prov-a:g-1:password', other);
    expect(error).toBeInstanceOf(ValidationError);
    expect(error.message).not.toContain('the-password');
  });

  it('refuses a key that is not 32 bytes with a TypeError naming the length, never the key', () => {
    const short = Buffer.from('0123456789abcdef0123456789abcdef0123456789', 'utf8').subarray(0, 31);
    const cases: (string | Uint8Array)[] = [
      short.toString('base64'),
      Buffer.alloc(33, 7).toString('base64'),
      new Uint8Array(16),
      'not base64 at all, and rather long so it would be obvious in a message!!',
      '',
    ];
    for (const bad of cases) {
      let error: unknown;
      try {
        createAesGcmSecretBox(bad);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TypeError);
      const message = (error as Error).message;
      expect(message).toContain('32 bytes');
      if (typeof bad === 'string' && bad.length > 0) expect(message).not.toContain(bad);
      if (bad instanceof Uint8Array || typeof bad === 'string') {
        const b64 = Buffer.from(bad instanceof Uint8Array ? bad : Buffer.from(bad, 'base64')).toString('base64');
        if (b64.length > 4) expect(message).not.toContain(b64);
      }
    }
  });

  it('generates distinct 32-byte base64 keys', () => {
    const keys = new Set(Array.from({ length: 50 }, generateSecretBoxKey));
    expect(keys.size).toBe(50);
    for (const k of keys) expect(Buffer.from(k, 'base64')).toHaveLength(32);
  });
});

function sameBytes(a: string, b: string): boolean {
  const pa = a.split('.');
  const pb = b.split('.');
  if (pa.length !== pb.length || pa[0] !== pb[0]) return false;
  return pa.slice(1).every((part, i) => {
    const other = pb[i + 1]!;
    if (!/^[A-Za-z0-9_-]*$/.test(other)) return false;
    return Buffer.from(part, 'base64url').equals(Buffer.from(other, 'base64url'));
  });
}
