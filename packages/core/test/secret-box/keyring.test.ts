/** The keyring: sealed values carry their key id; the first key seals, every key opens; old v1 values still open. */
import { createAesGcmSecretBox, generateSecretBoxKey, SecretKeyError, ValidationError } from '@jitadmin/core';
import { describe, expect, it } from 'vitest';
import { sealV1 } from '../support/seal-v1.js';

const OLD = generateSecretBoxKey();
const NEW = generateSecretBoxKey();

describe('SecretBox keyring', () => {
  it('seals under the first key, naming it, and opens what any of its keys sealed', async () => {
    const before = createAesGcmSecretBox([{ id: 'k2025', key: OLD }]);
    const ring = createAesGcmSecretBox([
      { id: 'k2026', key: NEW },
      { id: 'k2025', key: OLD },
    ]);
    expect(ring.currentKeyId).toBe('k2026');
    expect(ring.keyIds).toEqual(['k2026', 'k2025']);
    const old = await before.seal('old-pass', 'ctx');
    const fresh = await ring.seal('new-pass', 'ctx');
    expect(old).toMatch(/^v2\.k2025\./);
    expect(fresh).toMatch(/^v2\.k2026\./);
    expect(ring.keyIdOf(old)).toBe('k2025');
    expect(ring.keyIdOf(fresh)).toBe('k2026');
    expect(await ring.open(old, 'ctx')).toBe('old-pass');
    expect(await ring.open(fresh, 'ctx')).toBe('new-pass');
  });

  it('refuses a value under a key it does not hold with SECRET_KEY_UNKNOWN, naming the key id only', async () => {
    const before = createAesGcmSecretBox([{ id: 'k2025', key: OLD }]);
    const after = createAesGcmSecretBox([{ id: 'k2026', key: NEW }]);
    const sealed = await before.seal('the-secret-pass', 'ctx');
    const error = await after.open(sealed, 'ctx').then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SecretKeyError);
    expect(error).toMatchObject({ code: 'SECRET_KEY_UNKNOWN', details: { keyId: 'k2025' } });
    const message = (error as Error).message;
    expect(message).toContain('k2025');
    expect(message).not.toContain('the-secret-pass');
    expect(message).not.toContain(OLD);
    expect(message).not.toContain(NEW);
  });

  it('opens values sealed before key ids (v1) with whichever key fits, and knows them as having no key id', async () => {
    const legacy = sealV1(OLD, 'legacy-pass', 'grant:p:g:password');
    const ring = createAesGcmSecretBox([
      { id: 'k2026', key: NEW },
      { id: 'default', key: OLD },
    ]);
    expect(ring.keyIdOf(legacy)).toBeNull();
    expect(await ring.open(legacy, 'grant:p:g:password')).toBe('legacy-pass');
    // The single-key form (what the server had) opens it too.
    expect(await createAesGcmSecretBox(OLD).open(legacy, 'grant:p:g:password')).toBe('legacy-pass');
    // Under a keyring without that key, or another context, it is refused as tampered.
    await expect(createAesGcmSecretBox([{ id: 'k2026', key: NEW }]).open(legacy, 'grant:p:g:password')).rejects.toBeInstanceOf(ValidationError);
    await expect(ring.open(legacy, 'grant:p:g:tap')).rejects.toBeInstanceOf(ValidationError);
  });

  it('a single key is the keyring of one key named "default"', async () => {
    const single = createAesGcmSecretBox(OLD);
    expect(single.currentKeyId).toBe('default');
    const sealed = await single.seal('x', 'ctx');
    expect(await createAesGcmSecretBox([{ id: 'k2', key: NEW }, { id: 'default', key: OLD }]).open(sealed, 'ctx')).toBe('x');
  });

  it('refuses a bad keyring with a TypeError that names the key id, never a key', () => {
    const cases: [unknown, RegExp][] = [
      [[], /at least one key/],
      [[{ id: 'a.b', key: NEW }], /key id/],
      [[{ id: '', key: NEW }], /key id/],
      [[{ id: 'x'.repeat(65), key: NEW }], /key id/],
      [[{ id: 'a', key: NEW }, { id: 'a', key: OLD }], /names key "a" twice/],
      [[{ id: 'a', key: NEW }, { id: 'short', key: 'c2hvcnQ=' }], /key "short" must be 32 bytes/],
    ];
    for (const [keys, message] of cases) {
      let error: unknown;
      try {
        createAesGcmSecretBox(keys as never);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(TypeError);
      expect((error as Error).message).toMatch(message);
      expect((error as Error).message).not.toContain(NEW);
      expect((error as Error).message).not.toContain(OLD);
    }
  });
});
