import type { Grant } from '../domain/grant.js';
import { LIVE_STATES } from '../domain/grant.js';
import { ValidationError } from '../errors.js';

/**
 * Helpers every store needs to agree on, so that a listing or a duplicate check means the same on each.
 */

/**
 * The key under which at most one live grant may exist: provider, technician, customer and the sorted role set.
 * Null for a grant that is not live (terminal grants never collide).
 */
export function liveGrantKey(grant: Pick<Grant, 'providerId' | 'technicianId' | 'customerId' | 'roles' | 'state'>): string | null {
  if (!LIVE_STATES.includes(grant.state)) return null;
  const roles = [...new Set(grant.roles.map((r) => r.toLowerCase()))].sort();
  return [grant.providerId, grant.technicianId, grant.customerId, roles.join(',')].join('\u0000');
}

/** Newest first: `requestedAt` descending, then `id` descending (code-unit order). */
export function compareGrantsNewestFirst(a: Pick<Grant, 'requestedAt' | 'id'>, b: Pick<Grant, 'requestedAt' | 'id'>): number {
  const byTime = Date.parse(b.requestedAt) - Date.parse(a.requestedAt);
  if (byTime !== 0) return byTime;
  return a.id < b.id ? 1 : a.id > b.id ? -1 : 0;
}

/** Where a page of `listGrants` ended: the last grant's `requestedAt` and `id`. */
export interface GrantCursor {
  requestedAt: string;
  id: string;
}

/** An opaque, URL-safe cursor for the page after `last`. */
export function encodeGrantCursor(last: Pick<Grant, 'requestedAt' | 'id'>): string {
  return Buffer.from(JSON.stringify([last.requestedAt, last.id]), 'utf8').toString('base64url');
}

/** Reads a cursor from `encodeGrantCursor`; anything else is a `VALIDATION_FAILED` error on `cursor`. */
export function decodeGrantCursor(cursor: string): GrantCursor {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    parsed = null;
  }
  if (
    !Array.isArray(parsed) ||
    parsed.length !== 2 ||
    typeof parsed[0] !== 'string' ||
    typeof parsed[1] !== 'string' ||
    Number.isNaN(Date.parse(parsed[0]))
  ) {
    throw new ValidationError('cursor is not one this store issued', { field: 'cursor' });
  }
  return { requestedAt: parsed[0], id: parsed[1] };
}

/** Whether `grant` comes after the cursor in newest-first order. */
export function isAfterCursor(grant: Pick<Grant, 'requestedAt' | 'id'>, cursor: GrantCursor): boolean {
  return compareGrantsNewestFirst(cursor, grant) < 0;
}

/** A caller's page size, clamped to 1…max (default when absent). */
export function clampLimit(limit: number | undefined, fallback: number, max: number): number {
  if (limit === undefined || !Number.isFinite(limit)) return fallback;
  return Math.min(Math.max(Math.trunc(limit), 1), max);
}
