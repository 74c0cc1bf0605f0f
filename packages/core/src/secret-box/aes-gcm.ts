/**
 * A `SecretBox` on AES-256-GCM (node:crypto): a random 12-byte IV per seal, the `context` bound as associated
 * data, and the sealed form `v1.<iv>.<tag>.<ciphertext>` (each base64url), so a store only ever holds text.
 *
 * @module
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ValidationError } from '../errors.js';
import type { SecretBox } from '../ports/secret-box.js';

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';
const B64URL = /^[A-Za-z0-9_-]*$/;

/** A fresh random key for `createAesGcmSecretBox`, as base64 (keep it in a secret store, not in the database). */
export function generateSecretBoxKey(): string {
  return randomBytes(KEY_BYTES).toString('base64');
}

function readKey(key: string | Uint8Array): Buffer {
  let bytes: Buffer;
  if (typeof key === 'string') {
    const text = key.trim();
    // Decoding is lenient about junk, so check the alphabet: a typo must not silently become another key.
    bytes = /^[A-Za-z0-9+/_-]*={0,2}$/.test(text) ? Buffer.from(text, 'base64') : Buffer.alloc(0);
  } else if (key instanceof Uint8Array) {
    bytes = Buffer.from(key);
  } else {
    throw new TypeError('SecretBox key must be a base64 string or a Uint8Array');
  }
  if (bytes.length !== KEY_BYTES) {
    // Name the lengths only: the key itself never goes into a message.
    throw new TypeError(
      `SecretBox key must be ${KEY_BYTES} bytes (AES-256; base64 of 32 random bytes, see generateSecretBoxKey()), got ${bytes.length} bytes`,
    );
  }
  return bytes;
}

function tampered(): ValidationError {
  return new ValidationError('sealed secret cannot be opened: it was altered, or sealed under another key or context');
}

/** Creates a SecretBox with a 32-byte key (base64 string or bytes). */
export function createAesGcmSecretBox(key: string | Uint8Array): SecretBox {
  const secretKey = readKey(key);
  return {
    async seal(plaintext, context) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', secretKey, iv, { authTagLength: TAG_BYTES });
      cipher.setAAD(Buffer.from(context, 'utf8'));
      const ciphertext = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
      const tag = cipher.getAuthTag();
      return [VERSION, iv.toString('base64url'), tag.toString('base64url'), ciphertext.toString('base64url')].join('.');
    },
    async open(sealed, context) {
      const parts = typeof sealed === 'string' ? sealed.split('.') : [];
      if (parts.length !== 4 || parts[0] !== VERSION || !parts.slice(1).every((p) => B64URL.test(p))) throw tampered();
      const iv = Buffer.from(parts[1]!, 'base64url');
      const tag = Buffer.from(parts[2]!, 'base64url');
      const ciphertext = Buffer.from(parts[3]!, 'base64url');
      if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw tampered();
      try {
        const decipher = createDecipheriv('aes-256-gcm', secretKey, iv, { authTagLength: TAG_BYTES });
        decipher.setAAD(Buffer.from(context, 'utf8'));
        decipher.setAuthTag(tag);
        return Buffer.concat([decipher.update(ciphertext), decipher.final()]).toString('utf8');
      } catch {
        // The cause is node's "unable to authenticate data": nothing more to tell, and nothing secret either.
        throw tampered();
      }
    },
  };
}
