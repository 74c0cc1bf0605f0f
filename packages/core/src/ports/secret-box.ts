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
  /** Opens what `seal` returned for the same context; throws a `VALIDATION_FAILED` JitError if tampered. */
  open(sealed: string, context: string): Promise<string>;
}
