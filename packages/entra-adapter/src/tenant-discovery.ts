/**
 * Domain → tenant, before anyone consented: `GET {authority}/{domain}/v2.0/.well-known/openid-configuration`
 * needs no token, and its `issuer` (`https://login.microsoftonline.com/{tenantId}/v2.0`) names the tenant. An
 * unknown domain answers 400 `AADSTS90002` ("Tenant '…' not found"). A consent link is bound to the tenant
 * found here, so only that tenant's consent can connect the customer.
 *
 * @module
 */
import { DirectoryError, ValidationError, type ResolvedTenant } from '@jitadmin/core';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** A DNS name of at least two labels (what Entra accepts as a tenant's domain). */
const DOMAIN = /^(?=.{3,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;
/** Segments Entra answers for without being a tenant. */
const NOT_TENANTS = new Set(['common', 'organizations', 'consumers']);

export interface ResolveTenantOptions {
  /** Default `https://login.microsoftonline.com` (the global cloud); a national cloud's sign-in host otherwise. */
  authorityHost?: string;
  /** Default: the global `fetch`. */
  fetch?: typeof fetch;
  /** Default 15000. */
  requestTimeoutMs?: number;
}

/**
 * The tenant a domain (or tenant id) belongs to, or null when Entra knows none. `VALIDATION_FAILED` (field
 * `domain`) for something that is neither; `TRANSIENT` / `THROTTLED` when the login service cannot answer;
 * `VALIDATION_FAILED` when the tenant lives in another cloud than `authorityHost` serves.
 */
export async function resolveTenant(domainOrTenantId: string, options: ResolveTenantOptions = {}): Promise<ResolvedTenant | null> {
  const key = typeof domainOrTenantId === 'string' ? domainOrTenantId.trim().toLowerCase().replace(/\.$/, '') : '';
  if (!(GUID.test(key) || DOMAIN.test(key)) || NOT_TENANTS.has(key)) {
    throw new ValidationError(`entra: ${JSON.stringify(String(domainOrTenantId).slice(0, 100))} is not a domain name or tenant id`, { field: 'domain' });
  }
  const authority = (options.authorityHost ?? 'https://login.microsoftonline.com').replace(/\/+$/, '');
  const doFetch = options.fetch ?? ((...args: Parameters<typeof fetch>) => globalThis.fetch(...args));
  let res: Response;
  try {
    res = await doFetch(`${authority}/${encodeURIComponent(key)}/v2.0/.well-known/openid-configuration`, {
      headers: { accept: 'application/json' },
      signal: AbortSignal.timeout(options.requestTimeoutMs ?? 15_000),
    });
  } catch (error) {
    throw new DirectoryError('TRANSIENT', `entra: the tenant discovery for ${key} failed (${(error as Error)?.name ?? 'network error'})`, { cause: error });
  }
  if (res.status === 400 || res.status === 404) {
    const body = (await res.json().catch(() => ({}))) as { error_codes?: unknown; error_description?: unknown };
    const codes = Array.isArray(body.error_codes) ? body.error_codes : [];
    // 90002: no such tenant. Any other 400 is a refusal we do not understand: say so rather than "not found".
    if (res.status === 404 || codes.includes(90002) || /AADSTS90002/.test(String(body.error_description ?? ''))) return null;
    throw new DirectoryError('DIRECTORY_REJECTED', `entra: the tenant discovery for ${key} was refused (${res.status}, ${codes.join(',') || 'no code'})`);
  }
  if (res.status === 429) {
    const after = Number(res.headers.get('retry-after'));
    throw new DirectoryError('THROTTLED', `entra: the tenant discovery for ${key} was throttled`, Number.isFinite(after) && after > 0 ? { retryAfterMs: after * 1000 } : {});
  }
  if (!res.ok) throw new DirectoryError('TRANSIENT', `entra: the tenant discovery for ${key} answered ${res.status}`);
  const doc = (await res.json().catch(() => null)) as { issuer?: unknown; cloud_instance_name?: unknown } | null;
  const issuerTenant = typeof doc?.issuer === 'string' ? /^https:\/\/[^/]+\/([0-9a-f-]{36})\/v2\.0\/?$/i.exec(doc.issuer)?.[1] : undefined;
  if (!issuerTenant || !GUID.test(issuerTenant)) {
    throw new DirectoryError('DIRECTORY_REJECTED', `entra: the discovery document for ${key} names no tenant in its issuer`);
  }
  const cloud = typeof doc?.cloud_instance_name === 'string' ? doc.cloud_instance_name : null;
  const served = expectedCloud(authority);
  if (cloud && served && cloud.toLowerCase() !== served) {
    throw new ValidationError(`entra: the tenant of ${key} is in the ${cloud} cloud; this server's app is registered in ${served}`, { field: 'domain' });
  }
  return { tenantId: issuerTenant.toLowerCase(), cloud };
}

/** `login.microsoftonline.us` → `microsoftonline.us`; null for a host that is not a Microsoft sign-in host. */
function expectedCloud(authority: string): string | null {
  try {
    const host = new URL(authority).hostname.toLowerCase();
    return host.startsWith('login.') ? host.slice('login.'.length) : null;
  } catch {
    return null;
  }
}
