import { createHmac, timingSafeEqual } from 'node:crypto';

/** base64url of a UTF-8 string or bytes. */
export function b64url(input: string | Buffer): string {
  return Buffer.from(input).toString('base64url');
}

export interface DecodedJwt {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
  signature: string;
  signingInput: string;
}

/** Splits and parses a compact JWT; null when it is not one. Verifies nothing. */
export function decodeJwt(token: string): DecodedJwt | null {
  const parts = token.split('.');
  if (parts.length !== 3) return null;
  const [h, p, s] = parts as [string, string, string];
  try {
    const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as unknown;
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString('utf8')) as unknown;
    if (!isObject(header) || !isObject(payload)) return null;
    return { header, payload, signature: s, signingInput: `${h}.${p}` };
  } catch {
    return null;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Access tokens are HS256 with a key only this fake instance knows: they look like Entra's (three parts,
 * the same claims) and the fake can tell its own tokens from forged or foreign ones.
 */
export function signToken(payload: Record<string, unknown>, key: Buffer): string {
  const header = { typ: 'JWT', alg: 'HS256', kid: 'fake-entra' };
  const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
  return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
}

export function verifyToken(token: string, key: Buffer): DecodedJwt | null {
  const jwt = decodeJwt(token);
  if (!jwt || jwt.header.alg !== 'HS256') return null;
  const expected = createHmac('sha256', key).update(jwt.signingInput).digest();
  const given = Buffer.from(jwt.signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) return null;
  return jwt;
}
