/**
 * Encrypts the secrets jitadmin must hold for a while (a grant's password or Temporary Access Pass until the
 * technician reveals it or the grant closes). Stores only ever see the sealed form.
 */
export interface SecretBox {
  /**
   * Seals `plaintext`. `context` (for example `grant:<providerId>:<grantId>:password`) is bound to the
   * ciphertext as associated data: opening it under another context fails.
   */
  seal(plaintext: string, context: string): Promise<string>;
  /**
   * Opens what `seal` returned for the same context; throws a `VALIDATION_FAILED` JitError if tampered, and
   * `SECRET_KEY_UNKNOWN` if it names a key this box does not hold (a key taken out of the keyring too early).
   */
  open(sealed: string, context: string): Promise<string>;
  /**
   * Optional (key rotation): the id of the key new seals use. With `keyIdOf`, `resealSecrets` finds what
   * was sealed under an older key and seals it again under this one.
   */
  readonly currentKeyId?: string;
  /** Optional (key rotation): the key id a sealed value names; null for one sealed before key ids existed. */
  keyIdOf?(sealed: string): string | null;
}
