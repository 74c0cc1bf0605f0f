/**
 * Migration 4: grants record how they ended and what waits on them (issue 12): `endedAt` (when access ended),
 * `failure` ({code, message, step} of a failed grant), `pendingExtension`, `selfExtendedMinutes`, and the
 * rule's `selfServiceExtensionMinutes` (on rules, and copied into each grant's `policy`), and the rule's
 * `requireTimeBound` (false: what every rule before it meant). Grants and rules are
 * JSON documents, so no column changes: the documents written before are filled in, so every row reads as
 * the domain schema says.
 *
 * For a grant already over, `endedAt` becomes its `closedAt` (the best known end; the moment its roles were
 * removed was not recorded then), and a failed one gets its `failure` from its last error (step unknown).
 */
export const GRANT_ENDS_SQL = `
UPDATE grants SET data = data
  || jsonb_build_object(
       'endedAt', coalesce(data->'endedAt', CASE WHEN data->>'closedAt' IS NOT NULL THEN data->'closedAt' ELSE 'null'::jsonb END),
       'failure', coalesce(data->'failure',
         CASE WHEN data->>'endReason' = 'failed' AND data->'lastError' IS NOT NULL AND data->'lastError' <> 'null'::jsonb
              THEN jsonb_build_object('code', data->'lastError'->'code', 'message', data->'lastError'->'message', 'step', 'unknown')
              ELSE 'null'::jsonb END),
       'pendingExtension', coalesce(data->'pendingExtension', 'null'::jsonb),
       'selfExtendedMinutes', coalesce(data->'selfExtendedMinutes', '0'::jsonb),
       'policy', (data->'policy') || jsonb_build_object('selfServiceExtensionMinutes', coalesce(data->'policy'->'selfServiceExtensionMinutes', '0'::jsonb)))
  WHERE NOT (data ? 'endedAt' AND data ? 'failure' AND data ? 'pendingExtension' AND data ? 'selfExtendedMinutes'
             AND data->'policy' ? 'selfServiceExtensionMinutes');

UPDATE rules SET data = data || jsonb_build_object('selfServiceExtensionMinutes', 0)
  WHERE NOT data ? 'selfServiceExtensionMinutes';
UPDATE rules SET data = data || jsonb_build_object('requireTimeBound', false)
  WHERE NOT data ? 'requireTimeBound';
`;
