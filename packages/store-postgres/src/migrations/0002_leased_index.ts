/**
 * Migration 2: an index over the grants that hold a lease, so `nextDueAt` can say when a leased grant becomes
 * claimable (its lease's end) without walking every due grant. Only grants in flight (or left by a crashed
 * worker) hold one, so the index stays as small as the work in hand.
 */
export const LEASED_INDEX_SQL = `
CREATE INDEX grants_leased ON grants (lease_until, due_at) WHERE due_at IS NOT NULL AND lease_until IS NOT NULL;
`;
