import { z } from 'zod';
import { Text } from '../domain/common.js';
import { API_TOKEN_DEFAULT_DAYS, API_TOKEN_MAX_DAYS } from '../domain/session.js';

/** Why a technician is deactivated (kept in the audit trail and on each grant it revokes). */
export const DeactivateInput = z.object({ reason: Text(1000).optional() });
export type DeactivateInput = z.input<typeof DeactivateInput>;

/** A new API token: a name to know it by, and how many days it lives (30 by default, at most 90). */
export const ApiTokenCreateInput = z.object({
  name: Text(100).min(1),
  days: z.number().int().min(1).max(API_TOKEN_MAX_DAYS).default(API_TOKEN_DEFAULT_DAYS),
});
export type ApiTokenCreateInput = z.input<typeof ApiTokenCreateInput>;
