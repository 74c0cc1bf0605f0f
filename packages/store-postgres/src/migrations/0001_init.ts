/**
 * Migration 1: the whole schema. Unqualified names: the runner sets `search_path` to the store's schema.
 * Text keys use the "C" collation so that ordering by id matches JavaScript's code-unit order (the memory
 * store's), whatever the database's default collation.
 *
 * Records are kept whole as JSONB `data` (the source of truth for reads, so ISO timestamps and every field
 * round-trip exactly); the plain columns beside it are copies the queries and indexes need.
 */

/** The grant states of `LIVE_STATES` (core), as a SQL list; the live-grant index and its queries share it. */
export const LIVE_STATES_SQL =
  "('requested', 'pending_approval', 'approved', 'provisioning', 'active', 'deprovisioning', 'needs_attention')";

export const INIT_SQL = `
CREATE TABLE providers (
  id text COLLATE "C" PRIMARY KEY,
  data jsonb NOT NULL
);

CREATE TABLE technicians (
  provider_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  subject text NOT NULL,
  data jsonb NOT NULL,
  PRIMARY KEY (provider_id, id),
  CONSTRAINT technicians_subject_key UNIQUE (provider_id, subject)
);

CREATE TABLE customers (
  provider_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  data jsonb NOT NULL,
  PRIMARY KEY (provider_id, id)
);

CREATE TABLE rules (
  provider_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  data jsonb NOT NULL,
  PRIMARY KEY (provider_id, id)
);

CREATE TABLE grants (
  provider_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  technician_id text COLLATE "C" NOT NULL,
  customer_id text COLLATE "C" NOT NULL,
  state text NOT NULL,
  -- Sorted, de-duplicated, lower-case role ids joined by ','.
  roles_key text NOT NULL,
  due_at timestamptz,
  lease_until timestamptz,
  lease_owner text,
  version integer NOT NULL,
  requested_at timestamptz NOT NULL,
  data jsonb NOT NULL,
  PRIMARY KEY (provider_id, id)
);
-- At most one live grant per provider, technician, customer and role set, even under concurrent inserts.
CREATE UNIQUE INDEX grants_live_key ON grants (provider_id, technician_id, customer_id, roles_key)
  WHERE state IN ${LIVE_STATES_SQL};
-- The scheduler's queue: only rows with a due time, so closed grants cost nothing.
CREATE INDEX grants_due ON grants (due_at, provider_id, id) WHERE due_at IS NOT NULL;
-- listGrants: newest first, optionally by technician or customer.
CREATE INDEX grants_newest ON grants (provider_id, requested_at DESC, id DESC);
CREATE INDEX grants_by_technician ON grants (provider_id, technician_id, requested_at DESC, id DESC);
CREATE INDEX grants_by_customer ON grants (provider_id, customer_id, requested_at DESC, id DESC);
CREATE INDEX grants_by_state ON grants (provider_id, state, requested_at DESC, id DESC);

-- Sealed (SecretBox) text only; deleted when the grant closes.
CREATE TABLE grant_secrets (
  provider_id text COLLATE "C" NOT NULL,
  grant_id text COLLATE "C" NOT NULL,
  name text COLLATE "C" NOT NULL,
  sealed text NOT NULL,
  PRIMARY KEY (provider_id, grant_id, name)
);

CREATE TABLE technician_accounts (
  provider_id text COLLATE "C" NOT NULL,
  customer_id text COLLATE "C" NOT NULL,
  technician_id text COLLATE "C" NOT NULL,
  data jsonb NOT NULL,
  PRIMARY KEY (provider_id, customer_id, technician_id)
);

-- Append-only; event is the whole chained event (what the hash covers), the columns are for queries.
CREATE TABLE audit (
  provider_id text COLLATE "C" NOT NULL,
  seq bigint NOT NULL,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  action text NOT NULL,
  grant_id text COLLATE "C",
  customer_id text COLLATE "C",
  prev_hash text NOT NULL,
  hash text NOT NULL,
  event jsonb NOT NULL,
  CONSTRAINT audit_provider_seq_key PRIMARY KEY (provider_id, seq)
);
CREATE INDEX audit_by_grant ON audit (provider_id, grant_id, seq) WHERE grant_id IS NOT NULL;

-- The last event of each provider's chain; appenders lock this row, so the chain never forks or gaps.
CREATE TABLE audit_heads (
  provider_id text COLLATE "C" PRIMARY KEY,
  seq bigint NOT NULL,
  hash text NOT NULL
);
`;
