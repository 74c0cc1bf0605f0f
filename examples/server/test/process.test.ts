/**
 * `npm start` as people run it: the demo with the embedded PGlite store in a data directory, the printed
 * URL and sign-ins, graceful shutdown on SIGTERM, a restart that keeps the data (and does not seed twice);
 * and a production start that stops on a missing variable, naming it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'jitadmin-demo-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function start(env: Record<string, string>): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    cwd: SERVER_DIR,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitForOutput(output: () => string, pattern: RegExp, timeoutMs = 120_000): Promise<RegExpMatchArray> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const m = output().match(pattern);
    if (m) return m;
    if (Date.now() > end) throw new Error(`no ${pattern} in output:\n${output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('the server process', () => {
  it('runs the demo on PGlite, stops gracefully on SIGTERM, and keeps its data across a restart', async () => {
    const env = { DATA_DIR: dataDir, PORT: '0', HOST: '127.0.0.1', DEMO_PASSWORD: 'pw-for-test', LOG_LEVEL: 'warn' };
    const first = start(env);
    const [, url] = await waitForOutput(first.output, /jitadmin demo is running: (http:\/\/\S+)/);
    expect(first.output()).toContain('password for everyone: pw-for-test');
    expect(first.output()).toMatch(/alice\s+Alice Tech \(technician\)/);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    const signin = await (await fetch(`${url}/signin`)).text();
    expect(signin).toContain('Contoso IT Services (demo)');
    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('finishing the step in hand');

    const second = start(env);
    const [, url2] = await waitForOutput(second.output, /jitadmin demo is running: (http:\/\/\S+)/);
    expect((await fetch(`${url2}/readyz`)).status).toBe(200);
    second.child.kill('SIGINT');
    expect(await second.exited).toBe(0);
  }, 300_000);

  it('refuses to start in production without its configuration, naming the variable', async () => {
    const p = start({ JITADMIN_MODE: 'production', PUBLIC_URL: 'https://jit.example.com', SESSION_SECRET: 'super-secret-value-that-is-too-short' });
    expect(await p.exited).toBe(78);
    expect(p.output()).toContain('DATABASE_URL');
    expect(p.output()).not.toContain('super-secret-value');
  }, 120_000);
});
