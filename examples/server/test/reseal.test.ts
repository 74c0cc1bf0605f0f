/**
 * Key rotation on the server: `reseal` (what `npm run reseal` runs) moves a live grant's held credential to
 * the new key; a server that still has only the old key then gets SECRET_KEY_UNKNOWN (why the new keyring
 * goes to every replica first); the new key alone opens it. The command refuses to run outside production.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { createAesGcmSecretBox, generateSecretBoxKey, type Grant } from '@jitadmin/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reseal } from '../src/reseal.js';
import { eventually, ROLES, startHarness, type Harness } from './helpers.js';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h?.close();
});

describe('npm run reseal', () => {
  it('re-seals a held credential under the new key, so the old key can be dropped', async () => {
    const created = await h.call('POST', '/api/v1/grants', { as: 'alice', body: { customerId: 'fabrikam', roles: [ROLES.helpdeskAdmin], durationMinutes: 30 } });
    expect(created.status).toBe(201);
    const grantId = (created.body as Grant).id;
    await eventually(async () => ((await h.store.getGrant('demo', grantId))?.state === 'active' ? true : undefined));
    const before = (await h.store.getSecret('demo', grantId, 'password'))!;
    expect(before).toMatch(/^v2\.default\./);

    const fresh = generateSecretBoxKey();
    const lines: string[] = [];
    const report = await reseal({
      keys: [
        { id: 'k2027', key: fresh },
        { id: 'default', key: h.server.secrets.secretBoxKey },
      ],
      store: h.store,
      log: (line) => lines.push(line),
    });
    expect(report).toMatchObject({ keyId: 'k2027', grantsResealed: 1, secretsResealed: 1, fromKey: { default: 1 } });
    expect(lines.join('\n')).toMatch(/re-sealed 1 secret\(s\) of 1 grant\(s\) under key "k2027" \(they were under: default ×1\)/);
    expect(lines.join('\n')).not.toContain(fresh);
    const after = (await h.store.getSecret('demo', grantId, 'password'))!;
    expect(after).toMatch(/^v2\.k2027\./);

    // This server still has only the old key: a typed error naming the key id, no credential, no key.
    const refused = await h.call('POST', `/api/v1/grants/${grantId}/reveal`, { as: 'alice' });
    expect(refused.status).toBe(500);
    expect(refused.body).toMatchObject({ error: { code: 'SECRET_KEY_UNKNOWN' } });
    expect(JSON.stringify(refused.body)).toContain('k2027');
    expect(JSON.stringify(refused.body)).not.toContain(fresh);

    const password = await createAesGcmSecretBox([{ id: 'k2027', key: fresh }]).open(after, `grant:demo:${grantId}:password`);
    expect(password).toBe(await createAesGcmSecretBox(h.server.secrets.secretBoxKey).open(before, `grant:demo:${grantId}:password`));
  });

  it('refuses to run without the production configuration (exit 78, naming what to set)', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/reseal.ts'], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    expect(await new Promise((resolve) => child.on('exit', resolve))).toBe(78);
    expect(out).toContain('JITADMIN_MODE must be "production"');
  }, 120_000);
});
