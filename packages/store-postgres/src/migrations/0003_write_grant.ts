/**
 * Migration 3: `jit_write_grant`, the store's one-statement `writeGrant`: the grant update (optimistic, with the
 * live-key guard of `updateGrant`), its secrets, and its audit events, chained by the caller after the chain
 * head it believes current. One round trip instead of five or six, and plans PL/pgSQL keeps per session.
 *
 * Returns 'ok', or 'refused' having written nothing (stale version, no such grant, a held live key: the caller
 * learns which through the transaction path). Raises SQLSTATE JA001 when the head has moved (another writer
 * appended first); the statement's writes then roll back with it.
 */
import { LIVE_STATES_SQL } from './0001_init.js';

export const WRITE_GRANT_SQL = `
CREATE FUNCTION jit_write_grant(
  p_provider text, p_id text, p_technician text, p_customer text, p_state text, p_roles_key text,
  p_due timestamptz, p_lease_until timestamptz, p_lease_owner text, p_version integer, p_requested timestamptz,
  p_data jsonb, p_expected integer, p_secret_names text[], p_secret_values text[], p_destroy_secrets boolean,
  p_events jsonb
) RETURNS text LANGUAGE plpgsql SET search_path FROM CURRENT AS $fn$
DECLARE
  n integer;
  e jsonb;
BEGIN
  UPDATE grants SET
      technician_id = p_technician, customer_id = p_customer, state = p_state, roles_key = p_roles_key,
      due_at = p_due, lease_until = p_lease_until, lease_owner = p_lease_owner, version = p_version,
      requested_at = p_requested, data = p_data
    WHERE provider_id = p_provider AND id = p_id AND version = p_expected
      AND NOT (p_state IN ${LIVE_STATES_SQL}
        AND NOT (state IN ${LIVE_STATES_SQL} AND technician_id = p_technician AND customer_id = p_customer AND roles_key = p_roles_key)
        AND EXISTS (SELECT 1 FROM grants o
                     WHERE o.provider_id = p_provider AND o.technician_id = p_technician AND o.customer_id = p_customer
                       AND o.roles_key = p_roles_key AND o.state IN ${LIVE_STATES_SQL} AND o.id <> p_id));
  GET DIAGNOSTICS n = ROW_COUNT;
  IF n = 0 THEN
    RETURN 'refused';
  END IF;
  FOR i IN 1 .. coalesce(array_length(p_secret_names, 1), 0) LOOP
    INSERT INTO grant_secrets (provider_id, grant_id, name, sealed) VALUES (p_provider, p_id, p_secret_names[i], p_secret_values[i])
      ON CONFLICT (provider_id, grant_id, name) DO UPDATE SET sealed = EXCLUDED.sealed;
  END LOOP;
  IF p_destroy_secrets THEN
    DELETE FROM grant_secrets WHERE provider_id = p_provider AND grant_id = p_id;
  END IF;
  FOR e IN SELECT value FROM jsonb_array_elements(p_events) LOOP
    UPDATE audit_heads SET seq = (e->>'seq')::bigint, hash = e->>'hash'
      WHERE provider_id = e->>'providerId' AND seq = (e->>'seq')::bigint - 1 AND hash = e->>'prevHash';
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
      RAISE EXCEPTION 'jitadmin: the audit chain head of % has moved', e->>'providerId' USING ERRCODE = 'JA001';
    END IF;
    INSERT INTO audit (provider_id, seq, at, actor, action, grant_id, customer_id, prev_hash, hash, event)
      VALUES (e->>'providerId', (e->>'seq')::bigint, (e->>'at')::timestamptz, e->>'actor', e->>'action',
              e->>'grantId', e->>'customerId', e->>'prevHash', e->>'hash', e);
  END LOOP;
  RETURN 'ok';
END
$fn$;
`;
