/**
 * Server configuration from environment variables, validated with zod. A missing or bad value stops start-up
 * with a message naming the variable; secret values are never echoed back.
 *
 * `JITADMIN_MODE=demo` (the default) needs nothing: it runs offline with an embedded store, a fake Entra ID
 * and a development sign-in. `JITADMIN_MODE=production` needs the IdP, Entra app, keys and public URL.
 *
 * @module
 */
import { isAbsolute, join } from 'node:path';
import { z } from 'zod';

export type AppRoleName = 'technician' | 'approver' | 'admin';

/** Variables whose values are secrets: never shown in error messages. */
export const SECRET_VARIABLES = new Set([
  'OIDC_CLIENT_SECRET',
  'ENTRA_CLIENT_SECRET',
  'ENTRA_CERTIFICATE_PRIVATE_KEY',
  'SECRET_BOX_KEY',
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
  trustProxy: boolean | number;
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
  secretBoxKey: string | null;
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
  const mode = read(env, 'JITADMIN_MODE', z.enum(['demo', 'production'], 'must be "demo" or "production"'), {
    required: false,
    fallback: 'demo' as const,
  })!;
  const prod = mode === 'production';
  const port = read(env, 'PORT', intIn(0, 65535), { required: false, fallback: 3000 })!;
  const host = read(env, 'HOST', z.string().min(1).max(255), { required: false, fallback: prod ? '0.0.0.0' : 'localhost' })!;
  const publicUrl = read(env, 'PUBLIC_URL', httpUrl, { required: prod, fallback: `http://localhost:${port}` })!.replace(/\/+$/, '');
  if (prod && !publicUrl.startsWith('https://') && !/^http:\/\/(localhost|127\.0\.0\.1)(:|\/|$)/.test(publicUrl)) {
    throw new ConfigError('PUBLIC_URL', 'must be https in production (plain http only for localhost)');
  }
  const trustProxyRaw = read(env, 'TRUST_PROXY', z.string().regex(/^(true|false|\d+)$/, 'must be true, false or a hop count'), {
    required: false,
    fallback: 'false',
  })!;
  const trustProxy = trustProxyRaw === 'true' ? true : trustProxyRaw === 'false' ? false : Number(trustProxyRaw);
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
    if (prod && !oidc.issuer.startsWith('https://') && !/^http:\/\/(localhost|127\.0\.0\.1)(:|\/|$)/.test(oidc.issuer)) {
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

  const secretBoxKey = read(env, 'SECRET_BOX_KEY', base64Key32, { required: prod }) ?? null;
  const sessionSecret =
    read(env, 'SESSION_SECRET', z.string().min(32, 'must be at least 32 characters (openssl rand -base64 48)').max(4096), {
      required: prod,
    }) ?? null;
  const sessionTtlMinutes = read(env, 'SESSION_TTL_MINUTES', intIn(5, 7 * 24 * 60), { required: false, fallback: 8 * 60 })!;
  const metricsToken = read(env, 'METRICS_TOKEN', z.string().min(16, 'must be at least 16 characters'), { required: false }) ?? null;
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
    secretBoxKey,
    sessionSecret,
    sessionTtlMinutes,
    metricsToken,
    reconcileIntervalMs: reconcileIntervalMs === undefined ? undefined : reconcileIntervalMs * 1000,
    sweepIntervalMs: sweepIntervalMs === undefined ? undefined : sweepIntervalMs * 1000,
    demoPassword,
  };
}

/** jitadmin roles a person's groups map to. */
export function rolesForGroups(roleGroups: Record<AppRoleName, string[]>, groups: readonly string[]): AppRoleName[] {
  const have = new Set(groups.map((g) => g.toLowerCase()));
  return (['technician', 'approver', 'admin'] as const).filter((role) => roleGroups[role].some((g) => have.has(g.toLowerCase())));
}
