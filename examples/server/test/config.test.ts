/** Configuration: demo needs nothing; production fails on a missing or bad variable, naming it, never echoing a secret. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, rolesForGroups, SECRET_VARIABLES } from '../src/config.js';
import { PROD } from './production-env.js';

function failure(env: Record<string, string | undefined>, readFile?: (p: string) => string): ConfigError {
  try {
    loadConfig(env, readFile);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('configuration', () => {
  it('demo mode needs no variables', () => {
    const config = loadConfig({});
    expect(config.mode).toBe('demo');
    expect(config.databaseUrl).toBeNull();
    expect(config.oidc).toBeNull();
    expect(config.dataDir).toBe('./.data');
  });

  it('a complete production configuration loads', () => {
    const config = loadConfig(PROD);
    expect(config.mode).toBe('production');
    expect(config.secureCookies).toBe(true);
    expect(config.entra?.credential).toEqual({ kind: 'secret', clientSecret: 'entra-client-secret-value' });
    expect(config.roleGroups.admin).toEqual(['grp-admins']);
  });

  it.each([
    'PUBLIC_URL',
    'DATABASE_URL',
    'OIDC_ISSUER',
    'OIDC_CLIENT_ID',
    'OIDC_CLIENT_SECRET',
    'ENTRA_CLIENT_ID',
    'ENTRA_CLIENT_SECRET',
    'SECRET_BOX_KEY',
    'SESSION_SECRET',
  ])('production without %s stops, naming it', (name) => {
    const env = { ...PROD };
    delete env[name];
    const error = failure(env);
    expect(error.variable).toBe(name);
    expect(error.message).toContain(name);
  });

  it.each([
    ['JITADMIN_MODE', 'staging'],
    ['PORT', '70000'],
    ['PORT', 'eighty'],
    ['PUBLIC_URL', 'http://jit.example.com'],
    ['PUBLIC_URL', 'not a url'],
    ['DATABASE_URL', 'mysql://x'],
    ['ENTRA_CLIENT_ID', 'not-a-guid'],
    ['SECRET_BOX_KEY', 'c2hvcnQ='],
    ['SESSION_SECRET', 'too-short'],
    ['LOG_LEVEL', 'loud'],
    ['TRUST_PROXY', 'maybe'],
    ['BOOTSTRAP_ADMIN_EMAILS', 'admin@example.com,nope'],
    ['RECONCILE_INTERVAL_SECONDS', '1'],
  ])('a bad %s (%s) stops start-up, naming it', (name, value) => {
    const error = failure({ ...PROD, [name]: value });
    expect(error.variable).toBe(name);
  });

  it('needs at least one role group in production', () => {
    const error = failure({ ...PROD, ROLE_GROUPS_TECHNICIAN: '', ROLE_GROUPS_APPROVER: '', ROLE_GROUPS_ADMIN: '' });
    expect(error.message).toContain('ROLE_GROUPS_');
  });

  it('takes a certificate instead of a client secret, and refuses both at once', () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n';
    const env = { ...PROD, ENTRA_CLIENT_SECRET: '', ENTRA_CERTIFICATE_PRIVATE_KEY_FILE: '/run/secrets/key.pem', ENTRA_CERTIFICATE_THUMBPRINT_SHA256: 'ab'.repeat(32) };
    const config = loadConfig(env, () => pem);
    expect(config.entra?.credential).toMatchObject({ kind: 'certificate', privateKey: pem });
    expect(failure({ ...env, ENTRA_CERTIFICATE_THUMBPRINT_SHA256: '' }, () => pem).variable).toBe('ENTRA_CERTIFICATE_THUMBPRINT_SHA256');
    expect(failure({ ...env, ENTRA_CLIENT_SECRET: 'x' }, () => pem).variable).toBe('ENTRA_CLIENT_SECRET');
    expect(failure(env, () => 'not a key').variable).toBe('ENTRA_CERTIFICATE_PRIVATE_KEY_FILE');
    expect(
      failure(env, () => {
        throw new Error('ENOENT');
      }).variable,
    ).toBe('ENTRA_CERTIFICATE_PRIVATE_KEY_FILE');
  });

  it('never echoes the value of a secret variable it refuses', () => {
    const secretNames = ['SESSION_SECRET', 'SECRET_BOX_KEY', 'DATABASE_URL', 'METRICS_TOKEN'];
    fc.assert(
      fc.property(
        fc.constantFrom(...secretNames),
        // A distinctive prefix, so the value cannot match the message's own words by chance.
        fc.string({ minLength: 1, maxLength: 12 }).map((s) => `Xq7${s}`),
        (name, value) => {
          expect(SECRET_VARIABLES.has(name)).toBe(true);
          const error = failure({ ...PROD, [name]: value });
          expect(error.variable).toBe(name);
          expect(error.message).not.toContain(value.trim());
        },
      ),
      { numRuns: 200 },
    );
  });

  it('maps IdP groups to roles, case-insensitively', () => {
    const groups = { technician: ['Techs'], approver: ['Approvers'], admin: ['Admins', 'Owners'] };
    expect(rolesForGroups(groups, ['techs', 'owners'])).toEqual(['technician', 'admin']);
    expect(rolesForGroups(groups, ['others'])).toEqual([]);
  });
});

describe('.env.example', () => {
  it('documents every variable the configuration reads', async () => {
    const { readFileSync } = await import('node:fs');
    const source = readFileSync(new URL('../src/config.ts', import.meta.url), 'utf8');
    const example = readFileSync(new URL('../../../.env.example', import.meta.url), 'utf8');
    const read = new Set([...source.matchAll(/(?:read\(env, |groups\()'([A-Z0-9_]+)'|env\.([A-Z0-9_]+)/g)].map((m) => m[1] ?? m[2]!));
    read.delete('INIT_CWD'); // set by npm itself, not configuration
    expect(read.size).toBeGreaterThan(25);
    for (const name of read) expect(example, name).toMatch(new RegExp(`^#? ?${name}=`, 'm'));
  });
});
