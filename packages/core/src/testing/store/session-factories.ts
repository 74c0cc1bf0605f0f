/** Factories for sessions and API tokens (each passes its zod schema), with the secret their digest is of. */
import { randomBytes } from 'node:crypto';
import { ApiToken, Session, hashSecret } from '../../domain/session.js';
import { PROVIDER_A, at, freshId } from './factories.js';

/** A session record and the cookie secret it was made for. */
export function makeSession(overrides: Partial<Session> = {}, secret = randomBytes(32).toString('base64url')): { session: Session; secret: string } {
  const session = Session.parse({
    providerId: PROVIDER_A,
    id: freshId('session'),
    technicianId: 'tech-1',
    secretHash: hashSecret(secret),
    createdAt: at(0),
    lastSeenAt: at(0),
    idleExpiresAt: at(60),
    expiresAt: at(12 * 60),
    rolesCheckedAt: at(0),
    idpRefreshToken: null,
    endedAt: null,
    endReason: null,
    ...overrides,
  });
  return { session, secret };
}

/** An API token record and the token it was made for. */
export function makeApiToken(overrides: Partial<ApiToken> = {}, secret = `jat_${randomBytes(32).toString('base64url')}`): { token: ApiToken; secret: string } {
  const token = ApiToken.parse({
    providerId: PROVIDER_A,
    id: freshId('token'),
    technicianId: 'tech-1',
    name: 'backup script',
    secretHash: hashSecret(secret),
    createdAt: at(0),
    expiresAt: at(30 * 24 * 60),
    lastUsedAt: null,
    rolesCheckedAt: at(0),
    idpRefreshToken: null,
    revokedAt: null,
    revokedBy: null,
    revokeReason: null,
    ...overrides,
  });
  return { token, secret };
}
