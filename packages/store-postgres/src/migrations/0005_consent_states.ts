/**
 * Migration 4: single-use consent links (capability `consentStates`). A row per link, keyed by the SHA-256 of
 * its state (never the state itself); `consumed_at` is set once, by `UPDATE … WHERE consumed_at IS NULL`,
 * whose row lock makes a concurrent consumer wait and then find it used. `expires_at` is indexed so old
 * links can be swept.
 */
export const CONSENT_STATES_SQL = `
CREATE TABLE consent_states (
  provider_id text COLLATE "C" NOT NULL,
  id text COLLATE "C" NOT NULL,
  expires_at timestamptz NOT NULL,
  consumed_at timestamptz,
  data jsonb NOT NULL,
  PRIMARY KEY (provider_id, id)
);
CREATE INDEX consent_states_expires ON consent_states (expires_at);
`;
