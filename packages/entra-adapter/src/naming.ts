/** Names and throwaway secrets derived for Graph requests. */
import { randomBytes, randomInt } from 'node:crypto';

/**
 * `mailNickname` for a UPN: its local part, with every character Entra refuses in a mail nickname
 * (anything but ASCII letters, digits and `. - _`) dropped, at most 64 characters.
 */
export function mailNicknameFor(userPrincipalName: string): string {
  const local = userPrincipalName.split('@')[0] ?? '';
  const cleaned = local.replace(/[^A-Za-z0-9._-]/g, '').replace(/^\.+|\.+$/g, '').slice(0, 64);
  return cleaned.length > 0 ? cleaned : `jit${randomBytes(6).toString('hex')}`;
}

const CLASSES = ['ABCDEFGHJKLMNPQRSTUVWXYZ', 'abcdefghijkmnopqrstuvwxyz', '23456789', '!#%*+-=?@^_'] as const;

/**
 * A password nobody knows, used to make a disabled account's old credential worthless. 64 characters with
 * every character class (Entra wants three of four), from the CSPRNG; never logged, never returned.
 */
export function unknowablePassword(): string {
  const all = CLASSES.join('');
  const chars = CLASSES.map((c) => c[randomInt(c.length)] as string);
  while (chars.length < 64) chars.push(all[randomInt(all.length)] as string);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j] as string, chars[i] as string];
  }
  return chars.join('');
}

/** Tenant ids go into URLs: a GUID or a domain name, nothing else. */
export function isSafeTenantId(tenantId: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/.test(tenantId);
}
