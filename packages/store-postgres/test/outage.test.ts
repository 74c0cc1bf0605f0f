/**
 * The server goes away while the store is open, then comes back: calls fail fast with STORE_UNAVAILABLE
 * (never a hang, never a crash from the pool's idle connections), and the same store works again after.
 * A TCP proxy in this process stands in for the server so the test can cut it without touching PostgreSQL.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';
import { JitError } from '@jitadmin/core';
import { makeProvider } from '@jitadmin/core/testing';
import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { postgresStore } from '../src/index.js';
import { freshSchema, PG_URL, serverPool, serverReachable } from './support.js';

const reachable = await serverReachable();

class Proxy {
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  /** While frozen, bytes are swallowed both ways: a black hole, with every socket still open. */
  frozen = false;
  constructor(
    private readonly upstream: { host: string; port: number },
    public port = 0,
  ) {}

  async start(): Promise<void> {
    this.server = createServer((client) => {
      const up = connect(this.upstream.port, this.upstream.host);
      for (const s of [client, up]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {});
      }
      client.on('data', (chunk: Buffer) => {
        if (!this.frozen) up.write(chunk);
      });
      up.on('data', (chunk: Buffer) => {
        if (!this.frozen) client.write(chunk);
      });
      client.on('close', () => up.destroy());
      up.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => this.server!.listen(this.port, '127.0.0.1', resolve));
    this.port = (this.server.address() as { port: number }).port;
  }

  /** Refuses new connections and cuts the open ones, like a server that died. */
  async stop(): Promise<void> {
    const closed = new Promise((resolve) => this.server?.close(resolve));
    for (const s of this.sockets) s.destroy();
    await closed;
  }
}

describe.skipIf(!reachable)('a server that goes down and comes back', () => {
  const url = new URL(PG_URL);
  const proxy = new Proxy({ host: url.hostname, port: Number(url.port || 5432) });
  const schema = freshSchema('down');
  afterAll(async () => {
    await proxy.stop().catch(() => {});
    const admin = serverPool(1);
    await admin.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await admin.end();
  });

  it('fails calls with STORE_UNAVAILABLE while it is down, and serves them again after', async () => {
    await proxy.start();
    const via = new URL(PG_URL);
    via.host = `127.0.0.1:${proxy.port}`;
    const store = await postgresStore({ db: new pg.Pool({ connectionString: via.toString(), max: 3 }), schema, connectTimeoutMs: 1000 });
    await store.transaction((tx) => tx.putProvider(makeProvider({ id: 'p-down' })));
    expect(await store.getProvider('p-down')).toMatchObject({ id: 'p-down' });

    await proxy.stop();
    for (const call of [() => store.getProvider('p-down'), () => store.transaction((tx) => tx.putProvider(makeProvider())), () => store.claimDue(Date.now(), 5, 1000, 'x')]) {
      const error = await call().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(JitError);
      expect((error as JitError).code).toBe('STORE_UNAVAILABLE');
      expect((error as JitError).message).toContain(`127.0.0.1:${proxy.port}/`);
    }

    await proxy.start();
    expect(await store.getProvider('p-down')).toMatchObject({ id: 'p-down' });
    await store.close();
    await proxy.stop();
  });

  it('gives up on a statement the network swallows (client-side timeout), then works on a fresh connection', async () => {
    await proxy.start();
    const via = new URL(PG_URL);
    via.host = `127.0.0.1:${proxy.port}`;
    const store = await postgresStore({
      db: new pg.Pool({ connectionString: via.toString(), max: 2 }),
      schema,
      connectTimeoutMs: 1000,
      statementTimeoutMs: 100,
    });
    await store.transaction((tx) => tx.putProvider(makeProvider({ id: 'p-hole' })));
    proxy.frozen = true;
    const error = await store.getProvider('p-hole').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JitError);
    expect((error as JitError).code).toBe('STORE_UNAVAILABLE');
    expect((error as JitError).message).toMatch(/did not answer within \d+ ms/);
    proxy.frozen = false;
    // The swallowed connection was destroyed, not returned to the pool: the next call gets a working one.
    expect(await store.getProvider('p-hole')).toMatchObject({ id: 'p-hole' });
    await store.close();
    await proxy.stop();
  });
});
