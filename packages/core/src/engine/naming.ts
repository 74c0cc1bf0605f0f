import { createHash, randomInt } from 'node:crypto';

/** Prefix of every account jitadmin makes; the adapter's marker property is what it trusts, not this. */
export const ACCOUNT_PREFIX = 'jitadmin-';

/**
 * UPN of a grant's ephemeral account: derived from the grant id, so a retry after a crash finds the account
 * the first attempt made instead of making a second one.
 */
export function ephemeralUpn(grantId: string, domain: string): string {
  const local = grantId.toLowerCase().replace(/[^a-z0-9]/g, '').slice(0, 48);
  return `${ACCOUNT_PREFIX}${local}@${domain}`;
}

/** The grant id an ephemeral UPN was derived from (grant ids are UUIDs), or null. */
export function grantIdFromUpn(upn: string): string | null {
  const match = /^jitadmin-([0-9a-f]{32})@/i.exec(upn);
  if (!match) return null;
  const h = match[1]!.toLowerCase();
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** UPN of a technician's kept account on one customer (per-technician model): stable for that pair. */
export function technicianUpn(providerId: string, technicianId: string, domain: string): string {
  const digest = createHash('sha256').update(`${providerId}\n${technicianId}`).digest('hex').slice(0, 24);
  return `${ACCOUNT_PREFIX}t-${digest}@${domain}`;
}

/** Display name that tells a customer's admins who holds the account and why. At most 256 characters. */
export function accountDisplayName(technicianName: string, reason: string | null): string {
  const base = `JIT admin: ${technicianName}`;
  const full = reason ? `${base} (${reason.replace(/\s+/g, ' ')})` : base;
  return full.length > 256 ? `${full.slice(0, 255)}…` : full;
}

const CLASSES = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#$%&*+-=?@^_~'];

/** A random password of `length` characters with every character class Entra's complexity rule counts. */
export function generatePassword(length = 24): string {
  const all = CLASSES.join('');
  const chars = CLASSES.map((set) => set[randomInt(set.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}
