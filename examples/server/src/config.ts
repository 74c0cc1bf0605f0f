/**
 * Server configuration from environment variables, validated with zod. A missing or bad value stops start-up
 * with a message naming the variable; secret values are never echoed back.
 *
 * `JITADMIN_MODE=demo` needs nothing: it runs offline on this machine with an embedded store, a fake Entra ID
 * and a development sign-in; it refuses production settings and a host other than loopback, because it seeds
 * sample people and a Global Administrator rule. With `JITADMIN_MODE` unset it is the demo only when no
 * production setting is present. `JITADMIN_MODE=production` needs the IdP, Entra app, keys and public URL,
 * and refuses guessable keys and secrets (placeholders, repeated characters, little entropy) and plain http.
 *
 * @module
 */
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';
import { isLoopbackHost, isLoopbackHttp, isPlaceholder, productionSettingsIn, weakKeyReason, weakSecretReason } from './config-safety.js';

export type AppRoleName = 'technician' | 'approver' | 'admin';

/** Variables whose values are secrets: never shown in error messages. */
export const SECRET_VARIABLES = new Set([
  'OIDC_CLIENT_SECRET',
  'ENTRA_CLIENT_SECRET',
  'ENTRA_CERTIFICATE_PRIVATE_KEY',
  'SECRET_BOX_KEY',
  'SECRET_BOX_KEYS',
  'SESSION_SECRET',
  'DATABASE_URL',
  'METRICS_TOKEN',
  'DEMO_PASSWORD',
]);

export interface EntraCredentialConfig {
  kind: 'secret' | 'certificate';
  clientSecret?: string;
  /** PEM private key (inline or read from ENTRA_CERTIFICATE_PRIVATE_KEY_FILE). */
  privateKey?: string;
  /** SHA-256 thumbprint (hex) of the certificate uploaded to the app registration. */
  thumbprintSha256?: string;
}

export interface ServerConfig {
  mode: 'demo' | 'production';
  port: number;
  host: string;
  /** Origin and path the browser sees, without a trailing slash. */
  publicUrl: string;
  /** Whether cookies get `Secure` (the public URL is https). */
  secureCookies: boolean;
  /** Proxies in front of the server whose X-Forwarded-For entries are trusted (0: none). */
  trustProxy: number;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  /** Postgres connection string; null: embedded PGlite in `dataDir`. */
  databaseUrl: string | null;
  dataDir: string;
  providerId: string;
  providerName: string;
  /** Branding shown on every page (production; the demo seeds its own). */
  branding: { logoUrl?: string; accentColor?: string };
  oidc: {
    issuer: string;
    clientId: string;
    clientSecret: string;
    scopes: string;
    /** Claim holding the person's groups. */
    groupsClaim: string;
    /** Claim used as the stable subject (`sub`, or `oid` for Entra ID). */
    subjectClaim: string;
    /** Sent as `prompt` on every sign-in (demo: `login`, so people can switch). */
    prompt: string | null;
  } | null;
  /** IdP group (name or id) → jitadmin role. */
  roleGroups: Record<AppRoleName, string[]>;
  /** Emails put on the roster as admins at start-up, so the first admin can sign in. */
  bootstrapAdmins: string[];
  entra: { clientId: string; credential: EntraCredentialConfig; authorityHost: string | null } | null;
  /** The SecretBox keyring, the key that seals first (SECRET_BOX_KEYS, or SECRET_BOX_KEY as id `default`). */
  secretBoxKeys: { id: string; key: string }[] | null;
  sessionSecret: string | null;
  sessionTtlMinutes: number;
  metricsToken: string | null;
  reconcileIntervalMs: number | undefined;
  sweepIntervalMs: number | undefined;
  demoPassword: string | null;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`configuration: ${variable} ${message}`);
  }
}

type Env = Record<string, string | undefined>;

const list = (value: string | undefined): string[] =>
  (value ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

const base64Key32 = z.string().refine((s) => {
  const t = s.trim();
  return /^[A-Za-z0-9+/_-]+={0,2}$/.test(t) && Buffer.from(t, 'base64').length === 32;
}, 'must be base64 of 32 random bytes (generate with: openssl rand -base64 32)');

const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'must be a GUID');
const httpUrl = z.url({ protocol: /^https?$/ }).refine((u) => !u.includes('?') && !u.includes('#'), 'must not carry a query or fragment');
const id = z.string().regex(/^[A-Za-z0-9._-]{1,128}$/, 'must be 1-128 letters, digits, ".", "_" or "-"');
const intIn = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, 'must be a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

/** One variable: parse it with `schema`, or fail naming it. Secret variables never appear with their value. */
function read<T>(env: Env, name: string, schema: z.ZodType<T>, options: { required: boolean; fallback?: T }): T | undefined {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') {
    if (options.required) throw new ConfigError(name, 'is required but not set (see .env.example)');
    return options.fallback;
  }
  const result = schema.safeParse(raw.trim());
  if (!result.success) {
    const why = result.error.issues[0]?.message ?? 'is invalid';
    const shown = SECRET_VARIABLES.has(name) ? '' : ` (got "${raw.length > 80 ? `${raw.slice(0, 80)}…` : raw}")`;
    throw new ConfigError(name, `${why}${shown}`);
  }
  return result.data;
}

/**
 * Reads and validates the configuration. Throws `ConfigError` naming the first bad variable.
 * `readFile` resolves `*_FILE` variables (certificate keys), injectable for tests.
 */
export function loadConfig(env: Env, readFile: (path: string) => string = () => ''): ServerConfig {
  const chosenMode = read(env, 'JITADMIN_MODE', z.enum(['demo', 'production'], 'must be "demo" or "production"'), { required: false });
  const productionSettings = productionSettingsIn(env);
  if (!chosenMode && productionSettings.length > 0) {
    throw new ConfigError(
      'JITADMIN_MODE',
      `is not set, but production settings are (${productionSettings.join(', ')}). Set JITADMIN_MODE=production to run with them; the offline demo (JITADMIN_MODE=demo) runs only without them`,
    );
  }
  const mode = chosenMode ?? 'demo';
  const prod = mode === 'production';
  if (!prod && productionSettings.length > 0) {
    throw new ConfigError(
      'JITADMIN_MODE',
      `is "demo", which seeds sample people and a Global Administrator rule and signs everyone in with one password, so it refuses production settings (${productionSettings.join(', ')}). Remove them, or set JITADMIN_MODE=production`,
    );
  }
  const port = read(env, 'PORT', intIn(0, 65535), { required: false, fallback: 3000 })!;
  const host = read(env, 'HOST', z.string().min(1).max(255), { required: false, fallback: prod ? '0.0.0.0' : 'localhost' })!;
  if (!prod && !isLoopbackHost(host)) {
    throw new ConfigError(
      'HOST',
      `is not a loopback address (got "${host}"): the demo signs everyone in with one password, so it listens only on this machine (localhost, 127.0.0.1, ::1)${chosenMode ? '' : '. For a deployment set JITADMIN_MODE=production'}`,
    );
  }
  const publicUrl = read(env, 'PUBLIC_URL', httpUrl, { required: prod, fallback: `http://localhost:${port}` })!.replace(/\/+$/, '');
  if (!prod && !isLoopbackHost(new URL(publicUrl).hostname)) {
    throw new ConfigError('PUBLIC_URL', 'must be on this machine in demo mode (localhost, 127.0.0.1, ::1)');
  }
  if (prod && !publicUrl.startsWith('https://')) {
    if (!isLoopbackHttp(publicUrl)) {
      throw new ConfigError('PUBLIC_URL', 'must be https in production: cookies get Secure only on https (plain http only on this machine: localhost, 127.0.0.1, ::1)');
    }
    if (!isLoopbackHost(host)) {
      throw new ConfigError('HOST', `must be a loopback address while PUBLIC_URL is plain http (got "${host}"): cookies without Secure must not travel over a network. Use an https PUBLIC_URL`);
    }
  }
  const trustProxyRaw = read(env, 'TRUST_PROXY', z.string().regex(/^(true|false|\d{1,2})$/, 'must be the number of proxies in front of the server (0 for none)'), {
    required: false,
    fallback: '0',
  })!;
  if (trustProxyRaw === 'true') {
    throw new ConfigError(
      'TRUST_PROXY',
      'is "true", which trusts every X-Forwarded-For entry, so any client could name its own address and slip past the sign-in limit. Set the number of proxies in front of the server instead (usually 1)',
    );
  }
  const trustProxy = trustProxyRaw === 'false' ? 0 : Number(trustProxyRaw);
  const logLevel = read(env, 'LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), {
    required: false,
    // The demo's console is for people: the banner and warnings, not every request.
    fallback: prod ? ('info' as const) : ('warn' as const),
  })!;
  const databaseUrl =
    read(
      env,
      'DATABASE_URL',
      z.string().regex(/^postgres(ql)?:\/\/\S+$/, 'must be a postgres:// or postgresql:// connection string'),
      { required: prod },
    ) ?? null;
  const dataDirRaw = read(env, 'DATA_DIR', z.string().min(1), { required: false, fallback: './.data' })!;
  // `npm start` at the repository root runs in the workspace folder; keep the data where it was started.
  const dataDir = env.INIT_CWD && !isAbsolute(dataDirRaw) ? join(env.INIT_CWD, dataDirRaw) : dataDirRaw;
  const providerId = read(env, 'PROVIDER_ID', id, { required: false, fallback: prod ? 'default' : 'demo' })!;
  const providerName = read(env, 'PROVIDER_NAME', z.string().min(1).max(200), {
    required: false,
    fallback: prod ? 'jitadmin' : 'Contoso IT Services (demo)',
  })!;
  const logoUrl = read(env, 'PROVIDER_LOGO_URL', z.url({ protocol: /^https$/ }).max(2048), { required: false });
  const accentColor = read(env, 'PROVIDER_ACCENT_COLOR', z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be a colour like #0a7cff'), { required: false });

  let oidc: ServerConfig['oidc'] = null;
  if (prod || env.OIDC_ISSUER) {
    oidc = {
      issuer: read(env, 'OIDC_ISSUER', httpUrl, { required: true })!,
      clientId: read(env, 'OIDC_CLIENT_ID', z.string().min(1).max(512), { required: true })!,
      clientSecret: read(env, 'OIDC_CLIENT_SECRET', z.string().min(1).max(4096), { required: true })!,
      scopes: read(env, 'OIDC_SCOPES', z.string().regex(/^[\w:./ -]+$/, 'must be space-separated scopes').refine((s) => s.split(' ').includes('openid'), 'must include openid'), {
        required: false,
        // offline_access: a refresh token, with which the server re-checks a person's roles every 15 minutes.
        fallback: 'openid email profile offline_access',
      })!,
      groupsClaim: read(env, 'OIDC_GROUPS_CLAIM', z.string().min(1).max(100), { required: false, fallback: 'groups' })!,
      subjectClaim: read(env, 'OIDC_SUBJECT_CLAIM', z.string().min(1).max(100), { required: false, fallback: 'sub' })!,
      prompt: read(env, 'OIDC_PROMPT', z.enum(['none', 'login', 'consent', 'select_account']), { required: false }) ?? null,
    };
    if (prod && !oidc.issuer.startsWith('https://') && !isLoopbackHttp(oidc.issuer)) {
      throw new ConfigError('OIDC_ISSUER', 'must be https in production (plain http only for localhost)');
    }
  }

  const groups = (name: string) => {
    const value = list(env[name]);
    if (value.some((g) => g.length > 256)) throw new ConfigError(name, 'has a group longer than 256 characters');
    return value;
  };
  const roleGroups: Record<AppRoleName, string[]> = {
    technician: groups('ROLE_GROUPS_TECHNICIAN'),
    approver: groups('ROLE_GROUPS_APPROVER'),
    admin: groups('ROLE_GROUPS_ADMIN'),
  };
  if (prod && roleGroups.technician.length + roleGroups.approver.length + roleGroups.admin.length === 0) {
    throw new ConfigError('ROLE_GROUPS_ADMIN', 'is required: map at least one IdP group to a role (ROLE_GROUPS_TECHNICIAN, ROLE_GROUPS_APPROVER, ROLE_GROUPS_ADMIN)');
  }
  const bootstrapAdmins = list(env.BOOTSTRAP_ADMIN_EMAILS).map((e) => e.toLowerCase());
  for (const email of bootstrapAdmins) {
    if (!z.email().safeParse(email).success) throw new ConfigError('BOOTSTRAP_ADMIN_EMAILS', `has an invalid email address "${email}"`);
  }

  let entra: ServerConfig['entra'] = null;
  if (prod || env.ENTRA_CLIENT_ID) {
    const clientId = read(env, 'ENTRA_CLIENT_ID', guid, { required: true })!;
    const clientSecret = read(env, 'ENTRA_CLIENT_SECRET', z.string().min(1).max(4096), { required: false });
    const keyFile = read(env, 'ENTRA_CERTIFICATE_PRIVATE_KEY_FILE', z.string().min(1), { required: false });
    let privateKey = read(env, 'ENTRA_CERTIFICATE_PRIVATE_KEY', z.string().min(1), { required: false });
    if (!privateKey && keyFile) {
      try {
        privateKey = readFile(keyFile);
      } catch {
        throw new ConfigError('ENTRA_CERTIFICATE_PRIVATE_KEY_FILE', `cannot be read (${keyFile})`);
      }
    }
    let credential: EntraCredentialConfig;
    if (clientSecret && privateKey) {
      throw new ConfigError('ENTRA_CLIENT_SECRET', 'and a certificate are both set: choose one');
    } else if (clientSecret) {
      credential = { kind: 'secret', clientSecret };
    } else if (privateKey) {
      if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(privateKey)) {
        throw new ConfigError(keyFile ? 'ENTRA_CERTIFICATE_PRIVATE_KEY_FILE' : 'ENTRA_CERTIFICATE_PRIVATE_KEY', 'must hold a PEM private key');
      }
      const thumbprintSha256 = read(env, 'ENTRA_CERTIFICATE_THUMBPRINT_SHA256', z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits'), {
        required: true,
      })!;
      credential = { kind: 'certificate', privateKey, thumbprintSha256: thumbprintSha256.toLowerCase() };
    } else {
      throw new ConfigError('ENTRA_CLIENT_SECRET', 'is required (or a certificate: ENTRA_CERTIFICATE_PRIVATE_KEY_FILE with ENTRA_CERTIFICATE_THUMBPRINT_SHA256)');
    }
    const authorityHost = read(env, 'ENTRA_AUTHORITY_HOST', httpUrl, { required: false }) ?? null;
    entra = { clientId: clientId.toLowerCase(), credential, authorityHost };
  }

  const secretBoxKeys = readSecretBoxKeys(env, prod);
  const sessionSecret =
    read(env, 'SESSION_SECRET', z.string().min(32, 'must be at least 32 characters (openssl rand -base64 48)').max(4096), {
      required: prod,
    }) ?? null;
  const sessionTtlMinutes = read(env, 'SESSION_TTL_MINUTES', intIn(5, 7 * 24 * 60), { required: false, fallback: 8 * 60 })!;
  const metricsToken = read(env, 'METRICS_TOKEN', z.string().min(16, 'must be at least 16 characters'), { required: false }) ?? null;
  if (prod) {
    // Guessable secrets: what we ask people to generate must be strong; what an IdP issued, at least not a stand-in.
    const secrets: [string, string | null | undefined, number][] = [
      ['SESSION_SECRET', sessionSecret, 96],
      ['METRICS_TOKEN', metricsToken, 40],
      ['OIDC_CLIENT_SECRET', oidc?.clientSecret, 32],
      ['ENTRA_CLIENT_SECRET', entra?.credential.clientSecret, 32],
    ];
    for (const [name, value, minBits] of secrets) {
      const reason = value ? weakSecretReason(value, minBits) : null;
      if (reason) throw new ConfigError(name, reason);
    }
    for (const { id, key } of secretBoxKeys ?? []) {
      const reason = weakKeyReason(Buffer.from(key, 'base64'));
      if (reason) throw new ConfigError(env.SECRET_BOX_KEYS ? 'SECRET_BOX_KEYS' : 'SECRET_BOX_KEY', env.SECRET_BOX_KEYS ? `key "${id}" ${reason}` : reason);
    }
    const dbPassword = databaseUrl ? databasePassword(databaseUrl) : null;
    if (dbPassword !== null && isPlaceholder(dbPassword)) {
      throw new ConfigError('DATABASE_URL', 'holds a placeholder password left from a template or example; set the real one');
    }
  }
  const reconcileIntervalMs = read(env, 'RECONCILE_INTERVAL_SECONDS', intIn(10, 86_400), { required: false });
  const sweepIntervalMs = read(env, 'SWEEP_INTERVAL_SECONDS', intIn(1, 3600), { required: false });
  const demoPassword = prod ? null : (read(env, 'DEMO_PASSWORD', z.string().min(4).max(200), { required: false }) ?? null);

  return {
    mode,
    port,
    host,
    publicUrl,
    secureCookies: publicUrl.startsWith('https://'),
    trustProxy,
    logLevel,
    databaseUrl,
    dataDir,
    providerId,
    providerName,
    branding: { ...(logoUrl ? { logoUrl } : {}), ...(accentColor ? { accentColor } : {}) },
    oidc,
    roleGroups,
    bootstrapAdmins,
    entra,
    secretBoxKeys,
    sessionSecret,
    sessionTtlMinutes,
    metricsToken,
    reconcileIntervalMs: reconcileIntervalMs === undefined ? undefined : reconcileIntervalMs * 1000,
    sweepIntervalMs: sweepIntervalMs === undefined ? undefined : sweepIntervalMs * 1000,
    demoPassword,
  };
}

/** The password in a connection string, or null (none, or not a URL). */
function databasePassword(url: string): string | null {
  try {
    const password = new URL(url).password;
    return password ? decodeURIComponent(password) : null;
  } catch {
    return null;
  }
}

const keyId = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The keyring: `SECRET_BOX_KEYS=<id>:<base64>,<id>:<base64>` (the first seals, all open), or one key in
 * `SECRET_BOX_KEY` (its id is `default`, as core names a single key). Never both.
 */
function readSecretBoxKeys(env: Env, prod: boolean): { id: string; key: string }[] | null {
  const single = env.SECRET_BOX_KEY?.trim();
  const ring = env.SECRET_BOX_KEYS?.trim();
  if (single && ring) throw new ConfigError('SECRET_BOX_KEY', 'and SECRET_BOX_KEYS are both set: keep one (SECRET_BOX_KEYS, with the old key listed as "default:…")');
  if (ring) {
    const keys: { id: string; key: string }[] = [];
    for (const [i, entry] of ring.split(',').map((e) => e.trim()).entries()) {
      const colon = entry.indexOf(':');
      const id = colon > 0 ? entry.slice(0, colon).trim() : '';
      if (!keyId.test(id)) {
        throw new ConfigError('SECRET_BOX_KEYS', `entry ${i + 1} must be <key id>:<base64 key>, the id 1-64 letters, digits, "_" or "-"`);
      }
      if (keys.some((k) => k.id === id)) throw new ConfigError('SECRET_BOX_KEYS', `names key "${id}" twice`);
      const key = entry.slice(colon + 1).trim();
      if (!base64Key32.safeParse(key).success) {
        throw new ConfigError('SECRET_BOX_KEYS', `key "${id}" must be base64 of 32 random bytes (generate with: openssl rand -base64 32)`);
      }
      keys.push({ id, key });
    }
    return keys;
  }
  const key = read(env, 'SECRET_BOX_KEY', base64Key32, { required: false });
  if (key) return [{ id: 'default', key }];
  if (prod) throw new ConfigError('SECRET_BOX_KEY', 'is required but not set (or SECRET_BOX_KEYS for a keyring; see .env.example)');
  return null;
}

/** jitadmin roles a person's groups map to. */
export function rolesForGroups(roleGroups: Record<AppRoleName, string[]>, groups: readonly string[]): AppRoleName[] {
  const have = new Set(groups.map((g) => g.toLowerCase()));
  return (['technician', 'approver', 'admin'] as const).filter((role) => roleGroups[role].some((g) => have.has(g.toLowerCase())));
}
