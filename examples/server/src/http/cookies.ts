/** Cookie reading and writing without a dependency: the few attributes we need, always HttpOnly. */
import type { Request, Response } from 'express';

export function readCookie(req: Request, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      try {
        return decodeURIComponent(part.slice(eq + 1).trim());
      } catch {
        return undefined;
      }
    }
  }
  return undefined;
}

export interface CookieOptions {
  secure: boolean;
  maxAgeMs?: number;
  path?: string;
}

export function setCookie(res: Response, name: string, value: string, options: CookieOptions): void {
  const attrs = [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${options.path ?? '/'}`,
    'HttpOnly',
    'SameSite=Lax',
    ...(options.secure ? ['Secure'] : []),
    ...(options.maxAgeMs !== undefined ? [`Max-Age=${Math.floor(options.maxAgeMs / 1000)}`] : []),
  ];
  res.append('Set-Cookie', attrs.join('; '));
}

export function clearCookie(res: Response, name: string, options: { secure: boolean; path?: string }): void {
  setCookie(res, name, '', { ...options, maxAgeMs: 0 });
}
