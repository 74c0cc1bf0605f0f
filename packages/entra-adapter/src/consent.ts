/**
 * Admin consent: connecting a customer's tenant. The MSP sends a customer admin to Microsoft's
 * `/organizations/v2.0/adminconsent` page; Microsoft redirects back with `admin_consent=True&tenant=…` or with
 * `error`/`error_description`. The `state` we send is signed (HMAC-SHA256) and expires, so a callback can only
 * complete a connection we started, for the provider and customer we started it for.
 *
 * Never trust `tenant` from the callback on its own: anyone can craft that URL, with the tenant id of any
 * tenant that has consented to the app. A token for that tenant proves only that *some* admin of it consented,
 * not that it is the customer's. Bind the link to the tenant you expect instead: `adminConsentUrl` takes a
 * state that your store keeps with the expected tenant (see core's `startConsent` / `finishConsent`), and
 * `readAdminConsentCallback` hands back what Microsoft sent for you to compare. `buildAdminConsentUrl` /
 * `parseAdminConsentCallback` (a signed, expiring state naming provider and customer, no tenant) remain for
 * callers that keep no state; they do not bind a tenant.
 *
 * @module
 */
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { DirectoryError, JitError, ValidationError } from '@jitadmin/core';

export interface AdminConsentUrlInput {
  clientId: string;
  /** Where Microsoft sends the admin back (registered on the app). */
  redirectUri: string;
  /** Key for signing `state` (at least 32 characters; keep it with the server's other secrets). */
  stateSecret: string;
  providerId: string;
  customerId: string;
  now?: number;
  /** How long the link stays valid (default 1 hour). */
  ttlMs?: number;
  /** Default `https://login.microsoftonline.com`. */
  authorityHost?: string;
}

export type AdminConsentCallback =
  | { ok: true; tenantId: string; providerId: string; customerId: string; stateId: string; scope: string | null }
  | {
      ok: false;
      error: JitError;
      /** `bad_state` (missing, tampered, malformed), `expired_state`, `denied` (Microsoft's `error`), `refused`. */
      reason: 'bad_state' | 'expired_state' | 'denied' | 'refused';
      /** Present once the state verified, so the server can show the right customer. */
      providerId?: string;
      customerId?: string;
      stateId?: string;
    };

interface StatePayload {
  v: 1;
  sid: string;
  pid: string;
  cid: string;
  exp: number;
}

const DEFAULT_TTL_MS = 60 * 60 * 1000;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function requireSecret(stateSecret: string): void {
  if (typeof stateSecret !== 'string' || stateSecret.length < 32) {
    throw new ValidationError('entra: stateSecret must be at least 32 characters', { field: 'stateSecret' });
  }
}

function sign(data: string, secret: string): string {
  return createHmac('sha256', secret).update(data).digest('base64url');
}

/**
 * The admin-consent URL for a `state` the caller made and keeps (core's `startConsent` gives one). Microsoft
 * sends the state back unchanged to `redirectUri`.
 */
export function adminConsentUrl(input: { clientId: string; redirectUri: string; state: string; authorityHost?: string }): string {
  for (const field of ['clientId', 'redirectUri', 'state'] as const) {
    if (typeof input[field] !== 'string' || input[field].length === 0) {
      throw new ValidationError(`entra: ${field} is required`, { field });
    }
  }
  let redirect: URL;
  try {
    redirect = new URL(input.redirectUri);
  } catch {
    throw new ValidationError('entra: redirectUri must be an absolute URL', { field: 'redirectUri' });
  }
  const url = new URL(`${(input.authorityHost ?? 'https://login.microsoftonline.com').replace(/\/+$/, '')}/organizations/v2.0/adminconsent`);
  url.searchParams.set('client_id', input.clientId);
  url.searchParams.set('scope', 'https://graph.microsoft.com/.default');
  url.searchParams.set('redirect_uri', redirect.toString());
  url.searchParams.set('state', input.state);
  return url.toString();
}

/** What Microsoft's redirect back carries, unverified: for core's `checkConsent` / `finishConsent`. */
export interface AdminConsentReply {
  /** `state` as sent back ('' when missing or repeated). */
  state: string;
  /** `tenant` when it is a GUID (lower-case), else null. */
  tenantId: string | null;
  /** Present when Microsoft reports no consent: its `error` and `error_description`, printable and short. */
  denied?: string;
}

/** Reads Microsoft's redirect back (`admin_consent=True&tenant=…&state=…`, or `error=…`); trusts nothing in it. */
export function readAdminConsentCallback(query: Query): AdminConsentReply {
  const state = param(query, 'state') ?? '';
  const tenantParam = param(query, 'tenant');
  const tenantId = tenantParam && GUID.test(tenantParam) ? tenantParam.toLowerCase() : null;
  const error = param(query, 'error');
  if (error) {
    const description = param(query, 'error_description');
    return { state, tenantId, denied: `${clean(error).slice(0, 100)}${description ? ` — ${clean(description)}` : ''}` };
  }
  if (param(query, 'admin_consent')?.toLowerCase() !== 'true') return { state, tenantId, denied: 'admin_consent was not granted' };
  return { state, tenantId };
}

/** The admin-consent URL for one customer, with a signed, expiring `state` (binds no tenant: see above). */
export function buildAdminConsentUrl(input: AdminConsentUrlInput): string {
  requireSecret(input.stateSecret);
  for (const field of ['clientId', 'redirectUri', 'providerId', 'customerId'] as const) {
    if (typeof input[field] !== 'string' || input[field].length === 0) {
      throw new ValidationError(`entra: ${field} is required`, { field });
    }
  }
  let redirect: URL;
  try {
    redirect = new URL(input.redirectUri);
  } catch {
    throw new ValidationError('entra: redirectUri must be an absolute URL', { field: 'redirectUri' });
  }
  const payload: StatePayload = {
    v: 1,
    sid: randomUUID(),
    pid: input.providerId,
    cid: input.customerId,
    exp: (input.now ?? Date.now()) + (input.ttlMs ?? DEFAULT_TTL_MS),
  };
  const body = Buffer.from(JSON.stringify(payload)).toString('base64url');
  const state = `${body}.${sign(body, input.stateSecret)}`;
  const url = new URL(`${(input.authorityHost ?? 'https://login.microsoftonline.com').replace(/\/+$/, '')}/organizations/v2.0/adminconsent`);
  url.searchParams.set('client_id', input.clientId);
  url.searchParams.set('scope', 'https://graph.microsoft.com/.default');
  url.searchParams.set('redirect_uri', redirect.toString());
  url.searchParams.set('state', state);
  return url.toString();
}

type Query = URLSearchParams | Record<string, string | readonly string[] | undefined>;

function param(query: Query, name: string): string | undefined {
  if (query instanceof URLSearchParams) return query.get(name) ?? undefined;
  const v = query[name];
  // A repeated parameter is an attack or a bug; refuse to pick one.
  if (Array.isArray(v)) return v.length === 1 ? (v[0] as string) : undefined;
  return typeof v === 'string' ? v : undefined;
}

/** Text from the query, made safe for a message: printable, short. */
function clean(text: string): string {
  // eslint-disable-next-line no-control-regex
  const t = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return t.length > 300 ? `${t.slice(0, 300)}…` : t;
}

function verifyState(state: string | undefined, secret: string, now: number): StatePayload | 'bad' | 'expired' {
  if (!state) return 'bad';
  const [body, mac, extra] = state.split('.');
  if (!body || !mac || extra !== undefined) return 'bad';
  const expected = Buffer.from(sign(body, secret));
  const given = Buffer.from(mac);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return 'bad';
  let payload: StatePayload;
  try {
    payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as StatePayload;
  } catch {
    return 'bad';
  }
  if (payload?.v !== 1 || typeof payload.sid !== 'string' || typeof payload.pid !== 'string' || typeof payload.cid !== 'string' || typeof payload.exp !== 'number') {
    return 'bad';
  }
  return payload.exp <= now ? 'expired' : payload;
}

/**
 * Checks Microsoft's redirect back to us. `ok: true` means: our own unexpired state, and Microsoft says an
 * admin of `tenantId` consented. The caller must still confirm the tenant with a token
 * (`adapter.getTenantInfo(tenantId)`) and accept `stateId` only once.
 */
export function parseAdminConsentCallback(query: Query, options: { stateSecret: string; now?: number }): AdminConsentCallback {
  requireSecret(options.stateSecret);
  const verified = verifyState(param(query, 'state'), options.stateSecret, options.now ?? Date.now());
  if (verified === 'bad') {
    return {
      ok: false,
      reason: 'bad_state',
      error: new ValidationError('entra: the consent callback has a missing or invalid state (not a link we issued)', { field: 'state' }),
    };
  }
  if (verified === 'expired') {
    return {
      ok: false,
      reason: 'expired_state',
      error: new ValidationError('entra: the consent link expired; start the connection again', { field: 'state' }),
    };
  }
  const who = { providerId: verified.pid, customerId: verified.cid, stateId: verified.sid };
  const tenantParam = param(query, 'tenant');
  const tenantId = tenantParam && GUID.test(tenantParam) ? tenantParam.toLowerCase() : undefined;

  const error = param(query, 'error');
  if (error) {
    const description = param(query, 'error_description');
    const aadsts = description ? /AADSTS\d+/.exec(description)?.[0] : undefined;
    return {
      ok: false,
      reason: 'denied',
      ...who,
      error: new DirectoryError(
        'CONNECTION_BROKEN',
        `entra: admin consent was not granted: ${clean(error)}${description ? ` — ${clean(description)}` : ''}`,
        { details: { reason: 'consent_denied', error: clean(error).slice(0, 100), aadsts, tenantId } },
      ),
    };
  }
  if (param(query, 'admin_consent')?.toLowerCase() !== 'true') {
    return {
      ok: false,
      reason: 'refused',
      ...who,
      error: new DirectoryError('CONNECTION_BROKEN', 'entra: the tenant admin did not grant consent', {
        details: { reason: 'consent_refused', tenantId },
      }),
    };
  }
  if (!tenantId) {
    return {
      ok: false,
      reason: 'bad_state',
      ...who,
      error: new ValidationError('entra: the consent callback carries no valid tenant id', { field: 'tenant' }),
    };
  }
  return { ok: true, tenantId, ...who, scope: param(query, 'scope') ?? null };
}
