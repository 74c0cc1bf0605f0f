/**
 * What production start-up refuses beyond a value's shape: keys and secrets that are guessable (placeholders,
 * repeated characters or patterns, little entropy), and a demo that would run where production belongs. The
 * answers are reasons to put in a message; they never quote the value.
 *
 * @module
 */

/** Values left in from examples and templates (compared without case, spaces or punctuation). */
const PLACEHOLDERS = new Set([
  'changeme',
  'changeit',
  'replaceme',
  'secret',
  'password',
  'passw0rd',
  'default',
  'example',
  'test',
  'testing',
  'demo',
  'admin',
  'todo',
  'tbd',
  'fixme',
  'xxx',
  'none',
  'null',
  'undefined',
  'empty',
  'placeholder',
  'yoursecret',
  'mysecret',
  'clientsecret',
  'sessionsecret',
  'secretkey',
  'letmein',
  'qwerty',
  '123456',
  '12345678',
  '1234567890',
]);

/** Words that mark a value as a template's stand-in wherever they appear in it. */
const PLACEHOLDER_MARKERS = ['changeme', 'replaceme', 'placeholder', 'yoursecret', 'insertsecret', 'putyour'];

const normalise = (value: string) => value.toLowerCase().replace(/[^a-z0-9]/g, '');

/** The shortest period of `s` (the whole length when nothing repeats). */
function period(items: readonly unknown[]): number {
  for (let p = 1; p <= items.length / 2; p++) {
    let repeats = true;
    for (let i = p; i < items.length && repeats; i++) repeats = items[i] === items[i - p];
    if (repeats) return p;
  }
  return items.length;
}

/** Shannon entropy of the symbol frequencies, times the length: a generous estimate of the bits in a value. */
export function estimatedBits(items: readonly unknown[]): number {
  const counts = new Map<unknown, number>();
  for (const c of items) counts.set(c, (counts.get(c) ?? 0) + 1);
  let perSymbol = 0;
  for (const n of counts.values()) {
    const p = n / items.length;
    perSymbol -= p * Math.log2(p);
  }
  return perSymbol * items.length;
}

export function isPlaceholder(value: string): boolean {
  const n = normalise(value);
  if (n.length === 0) return true;
  if (PLACEHOLDERS.has(n)) return true;
  if (PLACEHOLDER_MARKERS.some((m) => n.includes(m))) return true;
  // A placeholder said twice or more ("secretsecret…", "changeme-changeme").
  const p = period([...n]);
  return p < n.length && PLACEHOLDERS.has(n.slice(0, p));
}

/**
 * Why a secret (session secret, client secret, token) is too weak to run with, or null. `minBits`: the least
 * estimated entropy accepted (secrets we ask people to generate need more than ones an IdP issued).
 */
export function weakSecretReason(value: string, minBits: number): string | null {
  if (isPlaceholder(value)) return 'is a placeholder left from a template or example; set a real, randomly generated value';
  const chars = [...value];
  if (new Set(chars).size === 1) return 'is one character repeated; set a randomly generated value';
  if (period(chars) <= chars.length / 3) return 'is a short pattern repeated; set a randomly generated value';
  if (estimatedBits(chars) < minBits) return `has too little entropy (under ${minBits} bits); set a randomly generated value`;
  return null;
}

/** Why 32 key bytes are not a random key, or null. */
export function weakKeyReason(bytes: Uint8Array): string | null {
  const items = [...bytes];
  if (items.every((b) => b === 0)) return 'is all zero bytes; generate a key with: openssl rand -base64 32';
  if (new Set(items).size === 1) return 'is one byte repeated; generate a key with: openssl rand -base64 32';
  if (period(items) <= items.length / 3) return 'is a short pattern repeated; generate a key with: openssl rand -base64 32';
  const steps = new Set(items.slice(1).map((b, i) => (b - items[i]! + 256) % 256));
  if (steps.size === 1) return 'is a counting sequence; generate a key with: openssl rand -base64 32';
  // Typed text (every byte printable ASCII) rather than random bytes: 1 in 10^14 for a random key.
  if (items.every((b) => b >= 0x20 && b < 0x7f)) return 'is typed text, not random bytes; generate a key with: openssl rand -base64 32';
  if (estimatedBits(items) < 96) return 'has too little entropy; generate a key with: openssl rand -base64 32';
  return null;
}

/** Loopback host names and addresses (the machine itself): `localhost`, 127.0.0.0/8, ::1. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);
}

/** Whether a URL is plain http to the machine itself. */
export function isLoopbackHttp(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'http:' && isLoopbackHost(u.hostname);
  } catch {
    return false;
  }
}

/**
 * Variables that belong to a production deployment. The demo seeds sample people and a Global Administrator
 * rule into its store and signs people in with a shared password, so it refuses to start with any of them.
 */
export const PRODUCTION_SETTINGS = [
  'DATABASE_URL',
  'OIDC_ISSUER',
  'OIDC_CLIENT_ID',
  'OIDC_CLIENT_SECRET',
  'ROLE_GROUPS_TECHNICIAN',
  'ROLE_GROUPS_APPROVER',
  'ROLE_GROUPS_ADMIN',
  'BOOTSTRAP_ADMIN_EMAILS',
  'ENTRA_CLIENT_ID',
  'ENTRA_CLIENT_SECRET',
  'ENTRA_CERTIFICATE_PRIVATE_KEY',
  'ENTRA_CERTIFICATE_PRIVATE_KEY_FILE',
  'SECRET_BOX_KEY',
  'SECRET_BOX_KEYS',
  'SESSION_SECRET',
  'METRICS_TOKEN',
] as const;

/** The production settings present in `env`. */
export function productionSettingsIn(env: Record<string, string | undefined>): string[] {
  return PRODUCTION_SETTINGS.filter((name) => (env[name] ?? '').trim() !== '');
}
