/**
 * A `SecretBox` on AES-256-GCM (node:crypto): a random 12-byte IV per seal, the `context` bound as associated
 * data, and the sealed form `v2.<keyId>.<iv>.<tag>.<ciphertext>` (each part base64url but the key id), so a
 * store only ever holds text and every sealed value says which key opens it.
 *
 * Several keys make a keyring: the first seals, all of them open. Rotation is: put the new key first and keep
 * the old one after it, re-seal what is held (`resealSecrets`), then drop the old key. Values sealed before key
 * ids existed (`v1.<iv>.<tag>.<ciphertext>`) still open: each key is tried, and GCM's tag says which one fits.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { SecretKeyError, ValidationError } from '../errors.js';
import type { SecretBox } from '../ports/secret-box.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const LEGACY = 'v1';
const VERSION = 'v2';
const B64URL = /^[A-Za-z0-9_-]*$/;

/** A key id: letters, digits, `_` and `-` (no `.`, the sealed form's separator), 1 to 64 characters. */
export const SECRET_BOX_KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The id a single key gets when no keyring is given. */
export const DEFAULT_SECRET_BOX_KEY_ID = 'default';

/** One key of a keyring: its id (written into every value it seals) and 32 bytes (base64 or raw). */
export interface SecretBoxKey {
  id: string;
  key: string | Uint8Array;
}

/** A SecretBox that knows its keys: the one it seals with, and the one each sealed value names. */
export interface KeyedSecretBox extends SecretBox {
  readonly currentKeyId: string;
  /** Every key id it can open, the current one first. */
  readonly keyIds: readonly string[];
  keyIdOf(sealed: string): string | null;
}

/** A fresh random key for `createAesGcmSecretBox`, as base64 (keep it in a secret store, not in the database). */
export function generateSecretBoxKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

function readKey(key: string | Uint8Array, label: string): Buffer {
  let bytes: Buffer;
  if (typeof key === 'string') {
    const text = key.trim();
    // Decoding is lenient about junk, so check the alphabet: a typo must not silently become another key.
    bytes = /^[A-Za-z0-9+/_-]*={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  } else if (key instanceof Uint8Array) {
    bytes = Buffer.from(key);
  } else {
    throw new TypeError(`SecretBox key${label} must be a base64 string or a Uint8Array`);
  }
  if (bytes.length !== KEY_BYTES) {
    // Name the lengths only: the key itself never goes into a message.
    throw new TypeError(
      `SecretBox key${label} must be ${KEY_BYTES} bytes (AES-256; base64 of 32 random bytes, see generateSecretBoxKey()), got ${bytes.length} bytes`,
    );
  }
  return bytes;
}

function readKeyring(input: string | Uint8Array | readonly SecretBoxKey[]): Map<string, Buffer> {
  const keys = new Map<string, Buffer>();
  if (typeof input === 'string' || input instanceof Uint8Array) {
    keys.set(DEFAULT_SECRET_BOX_KEY_ID, readKey(input, ''));
    return keys;
  }
  if (!Array.isArray(input) || input.length === 0) throw new TypeError('SecretBox keyring must hold at least one key');
  for (const entry of input as readonly SecretBoxKey[]) {
    const id = entry?.id;
    if (typeof id !== 'string' || !SECRET_BOX_KEY_ID.test(id)) {
      throw new TypeError('SecretBox key id must be 1-64 letters, digits, "_" or "-"');
    }
    if (keys.has(id)) throw new TypeError(`SecretBox keyring names key "${id}" twice`);
    keys.set(id, readKey(entry.key, ` "${id}"`));
  }
  return keys;
}

function tampered(): ValidationError {
  return new ValidationError('sealed secret cannot be opened: it was altered, or sealed under another key or context');
}

function decrypt(key: Buffer, parts: readonly string[], context: string): string {
  const [iv64, tag64, ct64] = parts;
  const iv = Buffer.from(iv64!, 'base64url');
  const tag = Buffer.from(tag64!, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw tampered();
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(Buffer.from(context, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(Buffer.from(ct64!, 'base64url')), decipher.final()]).toString('utf8');
  } catch {
    // The cause is node's "unable to authenticate data": nothing more to tell, and nothing secret either.
    throw tampered();
  }
}

/**
 * Creates a SecretBox from one 32-byte key (base64 string or bytes; its id is `default`) or a keyring of
 * `{ id, key }`, the first of which seals. Throws a `TypeError` naming what is wrong, never a key.
 */
export function createAesGcmSecretBox(keys: string | Uint8Array | readonly SecretBoxKey[]): KeyedSecretBox {
  const ring = readKeyring(keys);
  const keyIds = [...ring.keys()];
  const currentKeyId = keyIds[0]!;
  const currentKey = ring.get(currentKeyId)!;
  const parse = (sealed: unknown): { keyId: string | null; parts: string[] } | null => {
    const parts = typeof sealed === 'string' ? sealed.split('.') : [];
    if (parts.length === 4 && parts[0] === LEGACY && parts.slice(1).every((p) => B64URL.test(p))) return { keyId: null, parts: parts.slice(1) };
    if (parts.length === 5 && parts[0] === VERSION && SECRET_BOX_KEY_ID.test(parts[1]!) && parts.slice(2).every((p) => B64URL.test(p))) {
      return { keyId: parts[1]!, parts: parts.slice(2) };
    }
    return null;
  };
  return {
    currentKeyId,
    keyIds,
    keyIdOf(sealed) {
      return parse(sealed)?.keyId ?? null;
    },
    async seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', currentKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, currentKeyId, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
    },
    async open(sealed, context) {
      const parsed = parse(sealed);
      if (!parsed) throw tampered();
      if (parsed.keyId !== null) {
        const key = ring.get(parsed.keyId);
        if (!key) {
          throw new SecretKeyError(
            `sealed secret names key "${parsed.keyId}", which the keyring does not hold (keys: ${keyIds.join(', ')}); put it back and re-seal before removing it`,
            { details: { keyId: parsed.keyId } },
          );
        }
        return decrypt(key, parsed.parts, context);
      }
      // Sealed before key ids: whichever key authenticates it is the right one.
      for (const key of ring.values()) {
        try {
          return decrypt(key, parsed.parts, context);
        } catch {
          // try the next key
        }
      }
      throw tampered();
    },
  };
}
