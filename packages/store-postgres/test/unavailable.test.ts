import { createServer, type Server, type Socket } from 'node:net';
import { makeGrant } from '@jitadmin/core/testing';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresStore } from '../src/index.js';
import { freshSchema, rejectionOf, serverPool, serverReachable } from './support.js';

describe('an unreachable database', () => {
  it('is STORE_UNAVAILABLE naming host:port/database, never the password (connection refused)', async () => {
    const db = new pg.Pool({ connectionString: 'postgres://postgres:hunter2-not-shown@127.0.0.1:1/test' });
    const error = await rejectionOf(postgresStore({ db }));
    expect(error.code).toBe('STORE_UNAVAILABLE');
    expect(error.retryable).toBe(true);
    expect(error.message).toContain('127.0.0.1:1/test');
    expect(JSON.stringify({ message: error.message, details: error.details })).not.toContain('hunter2');
  });

  describe('that accepts connections and never answers', () => {
    let server: Server;
    const sockets = new Set<Socket>();
    let port = 0;
    beforeAll(async () => {
      server = createServer((socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as { port: number }).port;
    });
    afterAll(async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    });

    it('gives STORE_UNAVAILABLE after connectTimeoutMs instead of hanging', async () => {
      const db = new pg.Pool({ host: '127.0.0.1', port, database: 'silent', user: 'postgres', password: 'pw-not-shown' });
      const error = await rejectionOf(postgresStore({ db, connectTimeoutMs: 200 }));
      expect(error.code).toBe('STORE_UNAVAILABLE');
      expect(error.message).toContain(`127.0.0.1:${port}/silent`);
      expect(error.message).toMatch(/within 200 ms/);
      expect(error.message).not.toContain('pw-not-shown');
      // The pool's own connect attempt is still pending (pg has no timeout unless asked); it ends when afterAll
      // drops the sockets.
      void db.end().catch(() => {});
    });
  });
});

const reachable = await serverReachable();

describe.skipIf(!reachable)('a statement that cannot finish (server)', () => {
  it('is cancelled by the statement timeout: STORE_UNAVAILABLE, and the store keeps working', async () => {
    const schema = freshSchema('slow');
    const admin = serverPool(2);
    const store = await postgresStore({ db: serverPool(2), schema, statementTimeoutMs: 300 });
    const grant = makeGrant();
    await store.transaction((tx) => tx.insertGrant(grant));
    // Another session holds the grant's row lock: the store's update waits, until the server cancels it.
    const locker = await admin.connect();
    try {
      await locker.query('BEGIN');
      await locker.query(`SELECT 1 FROM "${schema}".grants WHERE id = $1 FOR UPDATE`, [grant.id]);
      const error = await rejectionOf(store.transaction((tx) => tx.updateGrant({ ...grant, state: 'provisioning' }, 0)));
      expect(error.code).toBe('STORE_UNAVAILABLE');
      expect(error.message).toContain('statement timeout');
      await locker.query('ROLLBACK');
      const updated = await store.transaction((tx) => tx.updateGrant({ ...grant, state: 'provisioning' }, 0));
      expect(updated.version).toBe(1);
    } finally {
      locker.release();
      await store.close();
      await admin.query(`DROP SCHEMA "${schema}" CASCADE`);
      await admin.end();
    }
  });
});
