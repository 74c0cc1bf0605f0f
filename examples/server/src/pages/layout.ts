/**
 * The page shell every HTML page shares: branding (name, logo, accent colour via /branding.css), navigation
 * by role, the demo banner, notices, and the sign-out form with its CSRF token. No inline script or style.
 */
import type { Branding } from '@jitadmin/core';
import type { Response } from 'express';
import type { AuthContext } from '../auth/context.js';
import { html, type Html } from '../http/html.js';

export interface PageChrome {
  branding: Branding;
  demo: boolean;
}

export interface PageOptions {
  title: string;
  auth: AuthContext | null;
  body: Html;
  notice?: string | null;
  error?: string | null;
  status?: number;
}

function nav(auth: AuthContext | null): Html {
  if (!auth) return html``;
  const roles = auth.technician.appRoles;
  const links: [string, string][] = [];
  if (roles.includes('technician')) links.push(['/access', 'My access']);
  if (roles.includes('approver')) links.push(['/approvals', 'Approvals']);
  if (roles.includes('admin')) {
    links.push(['/admin/customers', 'Customers'], ['/admin/technicians', 'Technicians'], ['/admin/rules', 'Rules'], ['/admin/audit', 'Audit']);
  }
  links.push(['/tokens', 'API tokens']);
  return html`<nav aria-label="Main"><ul>${links.map(([href, label]) => html`<li><a href="${href}">${label}</a></li>`)}</ul>
    <form method="post" action="/auth/logout" class="signout">
      <input type="hidden" name="_csrf" value="${auth.session?.csrf ?? ''}">
      <span class="who">${auth.technician.displayName} (${roles.join(', ')})</span>
      <button type="submit">Sign out</button>
    </form></nav>`;
}

export function renderPage(res: Response, chrome: PageChrome, options: PageOptions): void {
  const { branding } = chrome;
  const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${options.title} · ${branding.name}</title>
<link rel="stylesheet" href="/static/app.css">
<link rel="stylesheet" href="/branding.css">
<script src="/static/app.js" defer></script>
</head>
<body>
${chrome.demo ? html`<div class="demo-banner" role="note">Demo mode: fake Entra ID tenants, development sign-in, sample data. Nothing here touches Microsoft.</div>` : ''}
<header>
  <a class="brand" href="/">${branding.logoUrl ? html`<img src="${branding.logoUrl}" alt="" width="32" height="32">` : ''}<span>${branding.name}</span></a>
  ${nav(options.auth)}
</header>
<main id="main">
<h1>${options.title}</h1>
${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ''}
${options.error ? html`<p class="error" role="alert">${options.error}</p>` : ''}
${options.body}
</main>
<footer><small>jitadmin · just-in-time admin access</small></footer>
</body>
</html>`;
  res
    .status(options.status ?? 200)
    .setHeader('Cache-Control', 'no-store')
    .type('html')
    .send(page.value);
}

/** The CSRF hidden field for a signed-in form. */
export function csrfField(auth: AuthContext | null): Html {
  return html`<input type="hidden" name="_csrf" value="${auth?.session?.csrf ?? ''}">`;
}

export function brandingCss(branding: Branding): string {
  // Only a validated #rrggbb reaches here (Branding's schema), so it is safe in CSS.
  const accent = branding.accentColor && /^#[0-9a-fA-F]{6}$/.test(branding.accentColor) ? branding.accentColor : '#0a6ed1';
  return `:root { --accent: ${accent}; }\n`;
}
