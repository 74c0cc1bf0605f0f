/**
 * Every statement the store runs, built once per schema with qualified table names (so the store never
 * depends on a connection's `search_path`, and a pool may serve other code too).
 */
import { LIVE_STATES_SQL } from './migrations/0001_init.js';
import { quoteIdent } from './migrations/index.js';

/** The grant columns, in the order `grantParams` gives them. */
const GRANT_COLUMNS =
  'provider_id, id, technician_id, customer_id, state, roles_key, due_at, lease_until, lease_owner, version, requested_at, data';
const GRANT_VALUES = '$1, $2, $3, $4, $5, $6, $7::timestamptz, $8::timestamptz, $9, $10, $11::timestamptz, $12::jsonb';

export function statements(schema: string) {
  const s = quoteIdent(schema);
  const t = {
    providers: `${s}.providers`,
    technicians: `${s}.technicians`,
    customers: `${s}.customers`,
    rules: `${s}.rules`,
    grants: `${s}.grants`,
    secrets: `${s}.grant_secrets`,
    accounts: `${s}.technician_accounts`,
    audit: `${s}.audit`,
    heads: `${s}.audit_heads`,
    consentStates: `${s}.consent_states`,
  };
  /** The live grant other than `id` holding the key of provider, technician, customer, roles (parameter numbers). */
  const liveHolder = (provider: number, id: number, technician: number, customer: number, roles: number) =>
    `SELECT o.id FROM ${t.grants} o
     WHERE o.provider_id = $${provider} AND o.technician_id = $${technician} AND o.customer_id = $${customer}
       AND o.roles_key = $${roles} AND o.state IN ${LIVE_STATES_SQL} AND o.id <> $${id}`;
  return {
    tables: t,

    getConsentState: `SELECT data FROM ${t.consentStates} WHERE provider_id = $1 AND id = $2`,
    /** No row back: a link with this id exists already. */
    insertConsentState: `INSERT INTO ${t.consentStates} (provider_id, id, expires_at, consumed_at, data)
      VALUES ($1, $2, $3::timestamptz, NULL, $4::jsonb) ON CONFLICT (provider_id, id) DO NOTHING RETURNING 1 AS ok`,
    /** The row as it was (consumed_at still null) when this call used it up; no row: used already, or none. */
    consumeConsentState: `UPDATE ${t.consentStates}
      SET consumed_at = $3::timestamptz, data = jsonb_set(data, '{consumedAt}', to_jsonb($4::text))
      WHERE provider_id = $1 AND id = $2 AND consumed_at IS NULL RETURNING data`,

    deleteExpiredConsentStates: `WITH gone AS (DELETE FROM ${t.consentStates} WHERE provider_id = $1 AND expires_at < $2::timestamptz RETURNING 1)
      SELECT count(*)::int AS n FROM gone`,

    getProvider: `SELECT data FROM ${t.providers} WHERE id = $1`,
    listProviders: `SELECT data FROM ${t.providers} ORDER BY id`,
    putProvider: `INSERT INTO ${t.providers} (id, data) VALUES ($1, $2::jsonb)
      ON CONFLICT (id) DO UPDATE SET data = EXCLUDED.data`,

    getTechnician: `SELECT data FROM ${t.technicians} WHERE provider_id = $1 AND id = $2`,
    findTechnicianBySubject: `SELECT data FROM ${t.technicians} WHERE provider_id = $1 AND subject = $2`,
    listTechnicians: `SELECT data FROM ${t.technicians} WHERE provider_id = $1 ORDER BY id`,
    /** Writes only when no other technician holds the subject; no row back means one does. */
    putTechnician: `INSERT INTO ${t.technicians} (provider_id, id, subject, data)
      SELECT $1, $2, $3, $4::jsonb
       WHERE NOT EXISTS (SELECT 1 FROM ${t.technicians} WHERE provider_id = $1 AND subject = $3 AND id <> $2)
      ON CONFLICT (provider_id, id) DO UPDATE SET subject = EXCLUDED.subject, data = EXCLUDED.data
      RETURNING 1 AS ok`,
    subjectHolder: `SELECT id FROM ${t.technicians} WHERE provider_id = $1 AND subject = $2 AND id <> $3`,

    getCustomer: `SELECT data FROM ${t.customers} WHERE provider_id = $1 AND id = $2`,
    listCustomers: `SELECT data FROM ${t.customers} WHERE provider_id = $1 ORDER BY id`,
    putCustomer: `INSERT INTO ${t.customers} (provider_id, id, data) VALUES ($1, $2, $3::jsonb)
      ON CONFLICT (provider_id, id) DO UPDATE SET data = EXCLUDED.data`,
    deleteCustomer: `DELETE FROM ${t.customers} WHERE provider_id = $1 AND id = $2 RETURNING 1 AS ok`,

    getRule: `SELECT data FROM ${t.rules} WHERE provider_id = $1 AND id = $2`,
    listRules: `SELECT data FROM ${t.rules} WHERE provider_id = $1 ORDER BY id`,
    putRule: `INSERT INTO ${t.rules} (provider_id, id, data) VALUES ($1, $2, $3::jsonb)
      ON CONFLICT (provider_id, id) DO UPDATE SET data = EXCLUDED.data`,
    deleteRule: `DELETE FROM ${t.rules} WHERE provider_id = $1 AND id = $2 RETURNING 1 AS ok`,

    getGrant: `SELECT data FROM ${t.grants} WHERE provider_id = $1 AND id = $2`,
    grantVersion: `SELECT version FROM ${t.grants} WHERE provider_id = $1 AND id = $2`,
    /**
     * ON CONFLICT DO NOTHING covers both the primary key and the live-grant index, and waits for a concurrent
     * insert of the same key to commit or roll back: so a duplicate comes back as "no row", never as an error
     * that would abort the caller's transaction.
     */
    insertGrant: `INSERT INTO ${t.grants} (${GRANT_COLUMNS}) VALUES (${GRANT_VALUES})
      ON CONFLICT DO NOTHING RETURNING 1 AS ok`,
    /** $1 provider, $2 id, $3 technician, $4 customer, $5 roles key. */
    liveHolder: `${liveHolder(1, 2, 3, 4, 5)} LIMIT 1`,
    /**
     * Optimistic write: only at the expected version ($13), and (checked first, so the usual duplicate is
     * "no row" rather than an aborting unique violation) only if no other live grant holds the key. A row that
     * is live already with the same key cannot meet another holder (the unique index would not have let it),
     * so the lookup runs only when the write makes a grant live or changes its key: most writes skip it.
     */
    updateGrant: `UPDATE ${t.grants} SET
        technician_id = $3, customer_id = $4, state = $5, roles_key = $6, due_at = $7::timestamptz,
        lease_until = $8::timestamptz, lease_owner = $9, version = $10, requested_at = $11::timestamptz, data = $12::jsonb
      WHERE provider_id = $1 AND id = $2 AND version = $13
        AND NOT ($5 IN ${LIVE_STATES_SQL}
          AND NOT (state IN ${LIVE_STATES_SQL} AND technician_id = $3 AND customer_id = $4 AND roles_key = $6)
          AND EXISTS (${liveHolder(1, 2, 3, 4, 6)}))
      RETURNING 1 AS ok`,

    /** `writeGrant` in one statement (migration 3): $1…$12 as `grantParams`, then expected version, secret names and values, destroy, events. */
    writeGrant: `SELECT ${s}.jit_write_grant($1, $2, $3, $4, $5, $6, $7::timestamptz, $8::timestamptz, $9, $10::integer,
        $11::timestamptz, $12::jsonb, $13::integer, $14::text[], $15::text[], $16::boolean, $17::jsonb) AS status`,

    /**
     * The queue. The inner SELECT walks the partial `grants_due` index in due order, skipping rows another
     * claimer holds locked; the UPDATE sets the lease and bumps the version in the columns and in `data` alike.
     * $1 now, $2 limit, $3 owner, $4 lease end, $5 the same as text (ISO, exactly as `data` keeps it; a
     * parameter has one type, and timestamptz would print back in PostgreSQL's own format).
     */
    claimDue: `WITH due AS (
        SELECT provider_id, id FROM ${t.grants}
         WHERE due_at IS NOT NULL AND due_at <= $1::timestamptz
           AND (lease_until IS NULL OR lease_until <= $1::timestamptz)
         ORDER BY due_at, provider_id, id
         LIMIT $2
         FOR UPDATE SKIP LOCKED
      )
      UPDATE ${t.grants} g SET
        lease_owner = $3, lease_until = $4::timestamptz, version = g.version + 1,
        data = g.data || jsonb_build_object('lease', jsonb_build_object('owner', $3::text, 'until', $5::text), 'version', g.version + 1)
      FROM due WHERE g.provider_id = due.provider_id AND g.id = due.id
      RETURNING g.data`,
    /**
     * When a claim could next take something: the earliest unleased due time (the due index, in order) or, for
     * leased grants (the small `grants_leased` index), the later of due time and lease end. In epoch ms.
     */
    nextDueAt: `SELECT (extract(epoch FROM least(
        (SELECT due_at FROM ${t.grants} WHERE due_at IS NOT NULL AND lease_until IS NULL ORDER BY due_at LIMIT 1),
        (SELECT min(greatest(due_at, lease_until)) FROM ${t.grants} WHERE due_at IS NOT NULL AND lease_until IS NOT NULL)
      )) * 1000)::float8 AS due`,

    getSecret: `SELECT sealed FROM ${t.secrets} WHERE provider_id = $1 AND grant_id = $2 AND name = $3`,
    putSecret: `INSERT INTO ${t.secrets} (provider_id, grant_id, name, sealed) VALUES ($1, $2, $3, $4)
      ON CONFLICT (provider_id, grant_id, name) DO UPDATE SET sealed = EXCLUDED.sealed`,
    deleteSecrets: `WITH gone AS (DELETE FROM ${t.secrets} WHERE provider_id = $1 AND grant_id = $2 RETURNING 1)
      SELECT count(*)::int AS n FROM gone`,

    getTechnicianAccount: `SELECT data FROM ${t.accounts} WHERE provider_id = $1 AND customer_id = $2 AND technician_id = $3`,
    listTechnicianAccounts: `SELECT data FROM ${t.accounts} WHERE provider_id = $1 AND customer_id = $2 ORDER BY technician_id`,
    putTechnicianAccount: `INSERT INTO ${t.accounts} (provider_id, customer_id, technician_id, data) VALUES ($1, $2, $3, $4::jsonb)
      ON CONFLICT (provider_id, customer_id, technician_id) DO UPDATE SET data = EXCLUDED.data`,

    /** Locks the provider's chain head until the transaction ends: the next appender waits here. */
    lockHead: `SELECT seq, hash FROM ${t.heads} WHERE provider_id = $1 FOR UPDATE`,
    createHead: `INSERT INTO ${t.heads} (provider_id, seq, hash) VALUES ($1, 0, '') ON CONFLICT (provider_id) DO NOTHING`,
    /** $1 provider, $2 seq, $3 at, $4 actor, $5 action, $6 grant, $7 customer, $8 prev hash, $9 hash, $10 event. */
    appendAudit: `WITH added AS (
        INSERT INTO ${t.audit} (provider_id, seq, at, actor, action, grant_id, customer_id, prev_hash, hash, event)
        VALUES ($1, $2, $3::timestamptz, $4, $5, $6, $7, $8, $9, $10::jsonb)
      )
      UPDATE ${t.heads} SET seq = $2, hash = $9 WHERE provider_id = $1`,
    /**
     * The append when the head is known (the last this process wrote or read): moves the head only if it is
     * still at $2 - 1 with hash $8, and inserts only then. That UPDATE takes the head's row lock, so it
     * serialises with other appenders exactly like `lockHead`; no row back means the head moved: lock it, read
     * it, and append after it. One round trip instead of two.
     */
    appendAuditAtHead: `WITH head AS (
        UPDATE ${t.heads} SET seq = $2, hash = $9 WHERE provider_id = $1 AND seq = $2 - 1 AND hash = $8 RETURNING 1
      )
      INSERT INTO ${t.audit} (provider_id, seq, at, actor, action, grant_id, customer_id, prev_hash, hash, event)
      SELECT $1, $2, $3::timestamptz, $4, $5, $6, $7, $8, $9, $10::jsonb WHERE EXISTS (SELECT 1 FROM head)
      RETURNING 1 AS ok`,
    listAudit: `SELECT event FROM ${t.audit} WHERE provider_id = $1 AND seq > $2 ORDER BY seq LIMIT $3`,
    listAuditByGrant: `SELECT event FROM ${t.audit} WHERE provider_id = $1 AND seq > $2 AND grant_id = $4 ORDER BY seq LIMIT $3`,
  };
}

export type Statements = ReturnType<typeof statements>;
