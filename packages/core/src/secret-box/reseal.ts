/**
 * Key rotation's second step: seal again, under the SecretBox's current key, every held secret that names
 * another key (or none: sealed before key ids). Run it after putting the new key first in the keyring and
 * before taking the old key out.
 *
 * @module
 */
import type { AuditDraft } from '../domain/audit.js';
import { LIVE_STATES, type Grant } from '../domain/grant.js';
import { secretContext } from '../engine/grant-engine.js';
import { isJitError } from '../errors.js';
import { systemClock, type Clock } from '../ports/clock.js';
import type { SecretBox } from '../ports/secret-box.js';
import type { GrantWrite, Store } from '../ports/store.js';
import { applyGrantWrite } from '../store/grant-write.js';

/** The names under which core holds a grant's secrets. */
export const HELD_SECRET_NAMES = ['password', 'tap'] as const;

/** The audit action written for each grant whose secrets were re-sealed. */
export const RESEAL_AUDIT_ACTION = 'grant.secrets_resealed';

/** What `resealSecrets` label a value sealed before key ids with (in the report and the audit event). */
export const NO_KEY_ID = '(none)';

export interface ResealOptions {
  store: Store;
  /** A box with `currentKeyId` and `keyIdOf` (`createAesGcmSecretBox` with a keyring) holding old and new keys. */
  secretBox: SecretBox;
  clock?: Clock;
  /** Only these providers (default: all). */
  providerIds?: readonly string[];
  /** Grants per page read from the store (default 500). */
  pageSize?: number;
}

export interface ResealReport {
  /** The key everything held is now sealed under. */
  keyId: string;
  grantsExamined: number;
  grantsResealed: number;
  secretsResealed: number;
  /** Secrets re-sealed, by the key id they named before (`(none)`: sealed before key ids). */
  fromKey: Record<string, number>;
  /** Grants that changed under us three times running (an in-flight step); run again to finish them. */
  grantsSkipped: number;
}

/**
 * Re-seals every secret held for a live grant that is not under `secretBox.currentKeyId`. Each grant is one
 * write against the version read (with a `grant.secrets_resealed` audit event naming the keys, never a
 * secret), so a reveal or a close that destroys the secrets at the same time wins and nothing is put back.
 * Safe to run while servers run, and again: a second run finds nothing to do.
 */
export async function resealSecrets(options: ResealOptions): Promise<ResealReport> {
  const { store, secretBox } = options;
  const clock = options.clock ?? systemClock;
  const currentKeyId = secretBox.currentKeyId;
  const keyIdOf = secretBox.keyIdOf?.bind(secretBox);
  if (!currentKeyId || !keyIdOf) {
    throw new TypeError('resealSecrets needs a SecretBox with key ids (currentKeyId and keyIdOf), as createAesGcmSecretBox makes');
  }
  const report: ResealReport = { keyId: currentKeyId, grantsExamined: 0, grantsResealed: 0, secretsResealed: 0, fromKey: {}, grantsSkipped: 0 };
  const providerIds = options.providerIds ?? (await store.listProviders()).map((p) => p.id);

  /** One grant: returns false when it changed under us (read it again). */
  const resealGrant = async (g: Grant): Promise<boolean> => {
    const putSecrets: Record<string, string> = {};
    const from: string[] = [];
    for (const name of HELD_SECRET_NAMES) {
      const sealed = await store.getSecret(g.providerId, g.id, name);
      if (sealed === null) continue;
      const keyId = keyIdOf(sealed);
      if (keyId === currentKeyId) continue;
      const context = secretContext(g, name);
      putSecrets[name] = await secretBox.seal(await secretBox.open(sealed, context), context);
      from.push(keyId ?? NO_KEY_ID);
    }
    const names = Object.keys(putSecrets);
    if (names.length === 0) return true;
    const at = new Date(clock.now()).toISOString();
    const audit: AuditDraft = {
      providerId: g.providerId,
      at,
      actor: 'system:setup',
      action: RESEAL_AUDIT_ACTION,
      grantId: g.id,
      customerId: g.customerId,
      details: { secrets: names, fromKeys: [...new Set(from)], toKey: currentKeyId },
    };
    const write: GrantWrite = { grant: { ...g, updatedAt: at }, expectedVersion: g.version, putSecrets, audit: [audit] };
    try {
      // Against the version read: a reveal or close that destroyed these secrets meanwhile makes this fail.
      if (store.writeGrant) await store.writeGrant(write);
      else await store.transaction((tx) => applyGrantWrite(tx, write));
    } catch (error) {
      if (isJitError(error) && (error.code === 'VERSION_CONFLICT' || error.code === 'NOT_FOUND')) return false;
      throw error;
    }
    report.grantsResealed += 1;
    report.secretsResealed += names.length;
    for (const k of from) report.fromKey[k] = (report.fromKey[k] ?? 0) + 1;
    return true;
  };

  for (const providerId of providerIds) {
    let cursor: string | undefined;
    do {
      const page = await store.listGrants(providerId, { states: [...LIVE_STATES], limit: options.pageSize ?? 500, ...(cursor ? { cursor } : {}) });
      for (const listed of page.items) {
        report.grantsExamined += 1;
        let g: Grant | null = listed;
        let done = false;
        for (let attempt = 0; attempt < 3 && g && !done; attempt++) {
          done = await resealGrant(g);
          if (!done) g = await store.getGrant(providerId, listed.id);
        }
        if (!done && g) report.grantsSkipped += 1;
      }
      cursor = page.nextCursor ?? undefined;
    } while (cursor);
  }
  return report;
}
