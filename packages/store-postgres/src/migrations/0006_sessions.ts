/**
 * Migration 6: sessions and API tokens (the `sessions` capability group). Only digests of their secrets are
 * stored. `ends_at` is when the record stops being usable (the earliest of its expiries and its end), so
 * `purgeEnded` walks one index; the live rows of a technician have their own partial index, for sign-out
 * everywhere and deactivation.
 */
export const SESSIONS_SQL = `
CREATE TABLE sessions (
  provider_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  technician_id text COLLATE "C" NOT NULL,
  secret_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  ended_at timestamptz,
  data jsonb NOT NULL,
  PRIMARY KEY (provider_id, id),
  CONSTRAINT sessions_secret_key UNIQUE (provider_id, secret_hash)
);
CREATE INDEX sessions_live ON sessions (provider_id, technician_id, created_at DESC, id DESC) WHERE ended_at IS NULL;
CREATE INDEX sessions_ends ON sessions (ends_at);

CREATE TABLE api_tokens (
  provider_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  technician_id text COLLATE "C" NOT NULL,
  secret_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  ends_at timestamptz NOT NULL,
  revoked_at timestamptz,
  data jsonb NOT NULL,
  PRIMARY KEY (provider_id, id),
  CONSTRAINT api_tokens_secret_key UNIQUE (provider_id, secret_hash)
);
CREATE INDEX api_tokens_live ON api_tokens (provider_id, technician_id, created_at DESC, id DESC) WHERE revoked_at IS NULL;
CREATE INDEX api_tokens_ends ON api_tokens (ends_at);
`;
