/**
 * What every page handler shares: the signed flash message (notice or error after a redirect), the page
 * wrapper that turns refusals into a flash and a redirect back, and display helpers.
 */
import type { Actor, Branding, Grant, JitAdminService } from '@jitadmin/core';
import { isJitError } from '@jitadmin/core';
import type { NextFunction, Request, Response } from 'express';
import { getAuth, type AuthContext } from '../auth/context.js';
import type { SessionData } from '../auth/session.js';
import type { Signer } from '../auth/signing.js';
import { clearCookie, readCookie, setCookie } from '../http/cookies.js';
import { html, type Html } from '../http/html.js';
import { renderPage, type PageChrome } from './layout.js';
import { roleName } from './roles.js';

const FLASH_COOKIE = 'jitadmin_flash';

export interface PageDeps {
  providerId: string;
  /** Read-only lookups the service does not offer to every role (the requester's name for an approver). */
  technicianName: (technicianId: string) => Promise<string | null>;
  jit: Pick<JitAdminService, keyof JitAdminService>;
  signer: Signer;
  secure: boolean;
  chrome: () => Promise<PageChrome>;
  poke: () => void;
  /** What a new API token keeps of the creating session's IdP refresh token (for the roles re-check). */
  tokenSealer: (session: SessionData | null) => (tokenId: string) => Promise<string | null>;
}

export function setFlash(deps: PageDeps, res: Response, flash: { notice?: string; error?: string }): void {
  setCookie(res, FLASH_COOKIE, deps.signer.sign('flash', flash, 60_000), { secure: deps.secure, maxAgeMs: 60_000 });
}

export function takeFlash(deps: PageDeps, req: Request, res: Response): { notice: string | null; error: string | null } {
  const raw = readCookie(req, FLASH_COOKIE);
  if (!raw) return { notice: null, error: null };
  clearCookie(res, FLASH_COOKIE, { secure: deps.secure });
  const flash = deps.signer.verify<{ notice?: string; error?: string }>('flash', raw);
  return { notice: typeof flash?.notice === 'string' ? flash.notice : null, error: typeof flash?.error === 'string' ? flash.error : null };
}

export async function show(
  deps: PageDeps,
  req: Request,
  res: Response,
  options: { title: string; body: Html; status?: number; error?: string | null; notice?: string | null },
): Promise<void> {
  const flash = takeFlash(deps, req, res);
  renderPage(res, await deps.chrome(), {
    title: options.title,
    auth: getAuth(res),
    body: options.body,
    notice: options.notice ?? flash.notice,
    error: options.error ?? flash.error,
    ...(options.status ? { status: options.status } : {}),
  });
}

type Handler = (req: Request, res: Response, auth: AuthContext & { actor: Actor }) => Promise<void>;

/** A signed-in page: redirects to sign-in when nobody is signed in. */
export function page(handler: Handler) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const auth = getAuth(res);
    if (!auth) return res.redirect(303, `/signin?returnTo=${encodeURIComponent(req.originalUrl)}`);
    try {
      await handler(req, res, auth);
    } catch (error) {
      next(error);
    }
  };
}

/** A form post: runs `action`, then redirects to `back` with a notice, or with the refusal as an error. */
export function action(deps: PageDeps, back: (req: Request) => string, handler: (req: Request, res: Response, auth: AuthContext) => Promise<string | void>) {
  return async (req: Request, res: Response, next: NextFunction) => {
    const auth = getAuth(res);
    if (!auth) return res.redirect(303, '/signin');
    try {
      const notice = await handler(req, res, auth);
      if (res.headersSent) return;
      if (notice) setFlash(deps, res, { notice });
      res.redirect(303, back(req));
    } catch (error) {
      if (!isJitError(error) || error.code === 'INTERNAL' || error.code === 'STORE_UNAVAILABLE') return next(error);
      setFlash(deps, res, { error: error.message });
      res.redirect(303, back(req));
    }
  };
}

/** A form field as a string ('' when absent or not a string). */
export function field(req: Request, name: string): string {
  const body = req.body as Record<string, unknown> | undefined;
  const value = body?.[name];
  return typeof value === 'string' ? value : '';
}

/** A multi-valued form field (checkboxes, multi-selects). */
export function fields(req: Request, name: string): string[] {
  const body = req.body as Record<string, unknown> | undefined;
  const value = body?.[name];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' && value !== '' ? [value] : [];
}

/** An optional trimmed text field: undefined when empty. */
export function optionalText(req: Request, name: string): string | undefined {
  const v = field(req, name).trim();
  return v === '' ? undefined : v;
}

/** A whole number field, or undefined when empty; NaN stays NaN so validation refuses it. */
export function optionalInt(req: Request, name: string): number | undefined {
  const v = field(req, name).trim();
  return v === '' ? undefined : /^\d+$/.test(v) ? Number(v) : Number.NaN;
}

export function roleList(roles: readonly string[]): Html {
  return html`${roles.map((r, i) => html`${i > 0 ? ', ' : ''}<span title="${r}">${roleName(r)}</span>`)}`;
}

export function stateBadge(state: Grant['state']): Html {
  return html`<span class="state state-${state}">${state.replace(/_/g, ' ')}</span>`;
}

export function when(iso: string | null): Html {
  if (!iso) return html`—`;
  return html`<time datetime="${iso}">${iso.replace('T', ' ').slice(0, 16)} UTC</time>`;
}

/**
 * "starts at …" beside the state of a grant that waits for its scheduled start (`startAt`): it is approved,
 * or still asked for (then it starts at that time, or when approved if that is later).
 */
export function scheduledStart(grant: Pick<Grant, 'state' | 'startAt'>): Html {
  if (!grant.startAt || !['requested', 'pending_approval', 'approved'].includes(grant.state)) return html``;
  return html` <small class="starts">starts at ${when(grant.startAt)}${grant.state === 'approved' ? '' : ' at the earliest'}</small>`;
}

export function countdown(iso: string | null): Html {
  if (!iso) return html`—`;
  return html`<time datetime="${iso}" data-countdown="${iso}">${iso.replace('T', ' ').slice(0, 16)} UTC</time>`;
}

export function minutes(n: number): string {
  if (n % 1440 === 0) return `${n / 1440} d`;
  if (n % 60 === 0) return `${n / 60} h`;
  return n > 60 ? `${Math.floor(n / 60)} h ${n % 60} min` : `${n} min`;
}

export const DEFAULT_BRANDING: Branding = { name: 'jitadmin' };
