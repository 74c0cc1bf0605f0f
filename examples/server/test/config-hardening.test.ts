/**
 * Production start-up refuses what would let someone in: guessable keys and secrets, plain http beyond this
 * machine, X-Forwarded-For trusted without limit, and a demo (sample people, a Global Administrator rule, one
 * shared password) where production settings or a network-facing host are. Each message names the variable
 * and what to set, never the value.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { estimatedBits, isLoopbackHost, weakKeyReason, weakSecretReason } from '../src/config-safety.js';
import { PROD } from './production-env.js';

const SECOND_KEY = 'QS6WavHDLJ0o09HDy5t5tb7A6GudJw/ZU9tqor5IKpQ=';

function failure(env: Record<string, string | undefined>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the configuration to be refused');
}

/** Refused, naming `variable`, with `value` nowhere in the message. */
function refuses(env: Record<string, string | undefined>, variable: string, value: string, why?: RegExp): ConfigError {
  const error = failure(env);
  expect(error.variable).toBe(variable);
  expect(error.message).toContain(variable);
  if (value.length >= 4) expect(error.message).not.toContain(value);
  if (why) expect(error.message).toMatch(why);
  return error;
}

const b64 = (bytes: number[] | Buffer) => Buffer.from(bytes).toString('base64');

describe('production refuses guessable keys', () => {
  it.each([
    ['all zero', b64(Buffer.alloc(32)), /all zero/],
    ['one byte repeated', b64(Buffer.alloc(32, 0xa5)), /one byte repeated/],
    ['a short pattern repeated', b64([...Array(32).keys()].map((i) => [0xde, 0xad, 0xbe, 0xef][i % 4]!)), /pattern/],
    ['a counting sequence', b64([...Array(32).keys()]), /counting/],
    ['typed text', b64(Buffer.from('my-company-jitadmin-key-2026!!!!')), /typed text/],
    ['a placeholder as bytes', b64(Buffer.from('changemechangemechangemechangeme')), /pattern|typed text/],
  ])('SECRET_BOX_KEY that is %s', (_what, key, why) => {
    expect(Buffer.from(key, 'base64')).toHaveLength(32);
    refuses({ ...PROD, SECRET_BOX_KEY: key }, 'SECRET_BOX_KEY', key, why);
  });

  it('a weak key anywhere in SECRET_BOX_KEYS, naming its key id', () => {
    const zero = b64(Buffer.alloc(32));
    const env = { ...PROD, SECRET_BOX_KEY: '', SECRET_BOX_KEYS: `k2026:${SECOND_KEY},k2025:${zero}` };
    const error = refuses(env, 'SECRET_BOX_KEYS', zero, /key "k2025" is all zero/);
    expect(error.message).not.toContain(SECOND_KEY);
  });

  it('accepts a keyring, the first key sealing, and the single key as id "default"', () => {
    expect(loadConfig({ ...PROD, SECRET_BOX_KEY: '', SECRET_BOX_KEYS: `k2026:${SECOND_KEY}, default:${PROD.SECRET_BOX_KEY}` }).secretBoxKeys).toEqual([
      { id: 'k2026', key: SECOND_KEY },
      { id: 'default', key: PROD.SECRET_BOX_KEY },
    ]);
    expect(loadConfig(PROD).secretBoxKeys).toEqual([{ id: 'default', key: PROD.SECRET_BOX_KEY }]);
  });

  it.each([
    ['both variables', { SECRET_BOX_KEYS: `k2:${SECOND_KEY}` }, 'SECRET_BOX_KEY', /both set/],
    ['an entry without an id', { SECRET_BOX_KEY: '', SECRET_BOX_KEYS: SECOND_KEY }, 'SECRET_BOX_KEYS', /entry 1 must be <key id>:<base64 key>/],
    ['an id with a dot', { SECRET_BOX_KEY: '', SECRET_BOX_KEYS: `a.b:${SECOND_KEY}` }, 'SECRET_BOX_KEYS', /entry 1/],
    ['an id twice', { SECRET_BOX_KEY: '', SECRET_BOX_KEYS: `a:${SECOND_KEY},a:${PROD.SECRET_BOX_KEY}` }, 'SECRET_BOX_KEYS', /names key "a" twice/],
    ['a short key', { SECRET_BOX_KEY: '', SECRET_BOX_KEYS: `a:${SECOND_KEY},b:c2hvcnQ=` }, 'SECRET_BOX_KEYS', /key "b" must be base64 of 32/],
  ])('a bad keyring (%s)', (_what, extra, variable, why) => {
    const error = refuses({ ...PROD, ...extra }, variable, SECOND_KEY, why);
    expect(error.message).not.toContain(PROD.SECRET_BOX_KEY);
  });
});

describe('production refuses guessable secrets', () => {
  it.each([
    ['SESSION_SECRET', 'one character repeated', 's'.repeat(48), /one character repeated/],
    ['SESSION_SECRET', 'a placeholder', 'change-me-change-me-change-me-change-me!', /placeholder/],
    ['SESSION_SECRET', 'a placeholder repeated', 'secretsecretsecretsecretsecretsecret', /placeholder/],
    ['SESSION_SECRET', 'a short pattern repeated', 'abc123'.repeat(8), /pattern/],
    ['SESSION_SECRET', 'two characters', 'ab'.repeat(10) + 'ba'.repeat(10), /entropy|pattern/],
    ['SESSION_SECRET', 'a template stand-in', 'replace-me-with-openssl-rand-base64-48', /placeholder/],
    ['OIDC_CLIENT_SECRET', 'change-me', 'change-me', /placeholder/],
    ['OIDC_CLIENT_SECRET', 'changeme', 'changeme', /placeholder/],
    ['OIDC_CLIENT_SECRET', 'secret', 'secret', /placeholder/],
    ['OIDC_CLIENT_SECRET', 'password', 'Password', /placeholder/],
    ['OIDC_CLIENT_SECRET', 'a few characters', 'hunter2', /entropy/],
    ['ENTRA_CLIENT_SECRET', 'change-me', 'change-me', /placeholder/],
    ['ENTRA_CLIENT_SECRET', 'one character repeated', 'x'.repeat(40), /repeated/],
    ['METRICS_TOKEN', 'one character repeated', '0'.repeat(32), /repeated/],
    ['METRICS_TOKEN', 'a placeholder', 'changeme-metrics-token', /placeholder/],
  ])('%s that is %s', (variable, _what, value, why) => {
    refuses({ ...PROD, [variable]: value }, variable, value, why);
  });

  it('a DATABASE_URL with a placeholder password', () => {
    refuses({ ...PROD, DATABASE_URL: 'postgres://jitadmin:change-me@db.internal:5432/jitadmin' }, 'DATABASE_URL', 'change-me', /placeholder password/);
  });

  it('the values .env.example ships with do not start', () => {
    refuses({ ...PROD, OIDC_CLIENT_SECRET: 'change-me' }, 'OIDC_CLIENT_SECRET', 'change-me');
  });

  it('accepts generated values (openssl rand -base64 48 / -hex 32 / -base64 32)', () => {
    for (const value of ['BPzqE_lacVxrD9RIBiU2DtrDL8-pLNgjA3yKzvNsZ_nqw1nE', '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08']) {
      expect(weakSecretReason(value, 96)).toBeNull();
    }
    expect(weakKeyReason(Buffer.from(SECOND_KEY, 'base64'))).toBeNull();
    expect(estimatedBits([...'s'.repeat(48)])).toBe(0);
  });

  it('never refuses what the documented commands generate (seeded)', () => {
    const hex = (n: number) => fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: n, maxLength: n });
    const base64 = (n: number) => fc.string({ unit: fc.constantFrom(...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'), minLength: n, maxLength: n });
    const options = { seed: 20261203, numRuns: 300 };
    // SESSION_SECRET: openssl rand -hex 16 (the 32-character minimum) and -base64 48.
    fc.assert(fc.property(fc.oneof(hex(32), base64(64)), (v) => weakSecretReason(v, 96) === null), options);
    // METRICS_TOKEN: 16 hex characters (its minimum).
    fc.assert(fc.property(hex(16), (v) => weakSecretReason(v, 40) === null), options);
    // Keys: 32 random bytes.
    fc.assert(fc.property(fc.uint8Array({ minLength: 32, maxLength: 32 }), (b) => weakKeyReason(b) === null), options);
  });
});

describe('production refuses plain http beyond this machine', () => {
  it('an http PUBLIC_URL on a network host', () => {
    refuses({ ...PROD, PUBLIC_URL: 'http://jit.example.com' }, 'PUBLIC_URL', 'xx', /must be https/);
    refuses({ ...PROD, PUBLIC_URL: 'http://10.0.0.5:3000' }, 'PUBLIC_URL', 'xx', /must be https/);
  });

  it('an http loopback PUBLIC_URL while listening on every interface', () => {
    refuses({ ...PROD, PUBLIC_URL: 'http://localhost:3000' }, 'HOST', 'xx', /loopback/);
    refuses({ ...PROD, PUBLIC_URL: 'http://127.0.0.1:3000', HOST: '0.0.0.0' }, 'HOST', 'xx', /loopback/);
  });

  it('accepts http only on loopback, listening on loopback, without Secure cookies; https gets Secure', () => {
    for (const url of ['http://localhost:3000', 'http://127.0.0.1:3000', 'http://[::1]:3000']) {
      const config = loadConfig({ ...PROD, PUBLIC_URL: url, HOST: '127.0.0.1' });
      expect(config.secureCookies).toBe(false);
    }
    expect(loadConfig(PROD).secureCookies).toBe(true);
    expect(['localhost', '127.0.0.1', '127.8.9.10', '::1', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['0.0.0.0', '::', '10.0.0.1', 'jit.example.com', '128.0.0.1', 'localhost.example.com'].some(isLoopbackHost)).toBe(false);
  });
});

describe('the demo runs only where it cannot hurt', () => {
  it('with JITADMIN_MODE unset and a full production environment, start-up stops and says what to set', () => {
    const { JITADMIN_MODE: _, ...noMode } = PROD;
    const error = refuses(noMode, 'JITADMIN_MODE', PROD.SESSION_SECRET!, /Set JITADMIN_MODE=production/);
    expect(error.message).toContain('DATABASE_URL');
    expect(error.message).toContain('SECRET_BOX_KEY');
    expect(error.message).not.toContain(PROD.SECRET_BOX_KEY);
    expect(error.message).not.toContain(PROD.DATABASE_URL);
  });

  it.each(['DATABASE_URL', 'OIDC_ISSUER', 'ENTRA_CLIENT_ID', 'SECRET_BOX_KEY', 'SESSION_SECRET', 'ROLE_GROUPS_ADMIN', 'BOOTSTRAP_ADMIN_EMAILS'])(
    'with JITADMIN_MODE unset, %s alone is enough to stop',
    (name) => {
      const value = name === 'BOOTSTRAP_ADMIN_EMAILS' ? 'a@b.example' : PROD[name]!;
      expect(failure({ [name]: value }).message).toContain(name);
    },
  );

  it('JITADMIN_MODE=demo with a production setting stops, naming it', () => {
    const error = refuses({ JITADMIN_MODE: 'demo', DATABASE_URL: PROD.DATABASE_URL }, 'JITADMIN_MODE', PROD.DATABASE_URL!, /refuses production settings \(DATABASE_URL\)/);
    expect(error.message).toContain('Global Administrator');
  });

  it.each([undefined, 'demo'])('a demo (JITADMIN_MODE=%s) on a network-facing host stops', (mode) => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
      refuses({ ...(mode ? { JITADMIN_MODE: mode } : {}), HOST: host }, 'HOST', 'xxxx', /loopback/);
    }
    refuses({ ...(mode ? { JITADMIN_MODE: mode } : {}), PUBLIC_URL: 'https://jit.example.com' }, 'PUBLIC_URL', 'xxxx', /this machine/);
  });

  it('the demo with nothing set, or only demo settings, still starts on localhost', () => {
    expect(loadConfig({})).toMatchObject({ mode: 'demo', host: 'localhost' });
    expect(loadConfig({ JITADMIN_MODE: 'demo', HOST: '127.0.0.1', PORT: '0', DEMO_PASSWORD: 'pw-1', LOG_LEVEL: 'warn' }).mode).toBe('demo');
  });

  it('the server process with a production environment but no JITADMIN_MODE exits 78 before doing anything', async () => {
    const { JITADMIN_MODE: _, ...noMode } = PROD;
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...noMode },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(78);
    expect(out).toContain('JITADMIN_MODE is not set');
    expect(out).not.toContain('demo is running');
    expect(out).not.toContain(PROD.SESSION_SECRET);
  }, 120_000);
});

describe('TRUST_PROXY', () => {
  it('is a hop count; "true" (trust any X-Forwarded-For) is refused with what to set instead', () => {
    expect(loadConfig(PROD).trustProxy).toBe(0);
    expect(loadConfig({ ...PROD, TRUST_PROXY: '2' }).trustProxy).toBe(2);
    expect(loadConfig({ ...PROD, TRUST_PROXY: 'false' }).trustProxy).toBe(0);
    refuses({ ...PROD, TRUST_PROXY: 'true' }, 'TRUST_PROXY', 'xxxx', /number of proxies/);
    refuses({ ...PROD, TRUST_PROXY: '1,2' }, 'TRUST_PROXY', 'xxxx');
  });
});
