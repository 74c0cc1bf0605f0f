/**
 * The development OpenID Connect provider for demo mode (`oidc-provider` 8), mounted under `/dev-idp` in the
 * same process. Sample people sign in with their name and the demo password printed on the console. It is
 * only ever built in demo mode. Wrong passwords are limited per client address (10 a minute by default), and
 * its pages get the server's security headers (it is mounted after them).
 */
import { generateKeyPairSync, randomBytes, timingSafeEqual } from 'node:crypto';
import express, { type Express, type Request, type Response } from 'express';
import Provider, { type KoaContextWithOIDC } from 'oidc-provider';
import { html } from '../http/html.js';
import { createRateLimiter } from '../http/rate-limit.js';
import { memoryAdapterFactory } from './idp-store.js';
import type { DemoPerson } from './people.js';

export interface DevIdp {
  issuer: string;
  clientId: string;
  clientSecret: string;
  mount(app: Express): void;
  /** Changes a sample person's groups, or (null) removes them: what the IdP tells at the next refresh (tests, demos). */
  setPerson(id: string, groups: string[] | null): void;
}

function passwordMatches(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function createDevIdp(options: {
  publicUrl: string;
  people: readonly DemoPerson[];
  password: string;
  /** Where the relying party lives (default: the same server). */
  clientBaseUrl?: string;
  /** Wrong passwords allowed per client address per minute (default 10); then every attempt waits. */
  failuresPerMinute?: number;
}): DevIdp {
  const failures = createRateLimiter({ limit: options.failuresPerMinute ?? 10, windowMs: 60_000 });
  const issuer = `${options.publicUrl}/dev-idp`;
  const client = options.clientBaseUrl ?? options.publicUrl;
  const clientId = 'jitadmin-demo';
  const clientSecret = randomBytes(24).toString('base64url');
  const people = new Map(options.people.map((p) => [p.id, p]));
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = { ...privateKey.export({ format: 'jwk' }), use: 'sig', alg: 'RS256', kid: 'dev-idp' };

  const adapterFor = memoryAdapterFactory();
  const provider = new Provider(issuer, {
    adapter: adapterFor,
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: [`${client}/auth/callback`],
        post_logout_redirect_uris: [`${client}/`],
        // Refresh tokens, so the server can re-check a person's roles (as Entra ID gives with offline_access).
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      },
    ],
    jwks: { keys: [jwk as never] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
    scopes: ['openid', 'email', 'profile', 'offline_access'],
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name', 'groups'] },
    // Put the claims in the ID token, as Entra ID does with a groups claim configured.
    conformIdTokenClaims: false,
    pkce: { required: () => true },
    issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx, interaction) => `/dev-idp/interaction/${interaction.uid}` },
    async findAccount(_ctx, id) {
      const person = people.get(id);
      if (!person) return undefined;
      return {
        accountId: id,
        claims: () => ({ sub: id, email: person.email, email_verified: true, name: person.name, groups: person.groups }),
      };
    },
    // First-party demo client: no consent screen.
    async loadExistingGrant(ctx: KoaContextWithOIDC) {
      const clientId = ctx.oidc.client!.clientId;
      const accountId = ctx.oidc.session!.accountId!;
      const grantId = ctx.oidc.result?.consent?.grantId ?? ctx.oidc.session!.grantIdFor(clientId);
      if (grantId) {
        const existing = await ctx.oidc.provider.Grant.find(grantId);
        if (existing) return existing;
      }
      const grant = new ctx.oidc.provider.Grant({ clientId, accountId });
      grant.addOIDCScope('openid email profile offline_access');
      await grant.save();
      return grant;
    },
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = html`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sign-in error</title><link rel="stylesheet" href="/static/app.css"></head><body>
<div class="demo-banner" role="note">Demo identity provider: sample people only.</div>
<h1>Development sign-in: error</h1><p>${String(out.error)}: ${String(out.error_description ?? '')}</p><p><a href="/">Back</a></p></body></html>`.value;
    },
  });
  provider.on('server_error', () => {});

  const loginPage = (res: Response, uid: string, error: string | null, loginHint: string, status = error ? 401 : 200) => {
    res
      .status(status)
      .setHeader('Cache-Control', 'no-store')
      .setHeader('Content-Security-Policy', "default-src 'self'; style-src 'self'; script-src 'none'; form-action 'self'; frame-ancestors 'none'")
      .setHeader('X-Frame-Options', 'DENY')
      .type('html')
      .send(
        html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Development sign-in</title><link rel="stylesheet" href="/static/app.css"></head><body>
<div class="demo-banner" role="note">Demo identity provider: sample people only.</div>
<main><h1>Development sign-in</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<form method="post" action="/dev-idp/interaction/${uid}/login" class="stack">
  <label for="username">Name</label>
  <select id="username" name="username">${options.people.map(
    (p) => html`<option value="${p.id}"${p.id === loginHint ? html` selected` : ''}>${p.id} — ${p.name} (${p.role})</option>`,
  )}</select>
  <label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit">Sign in</button>
</form></main></body></html>`.value,
      );
  };

  return {
    issuer,
    clientId,
    clientSecret,
    setPerson(id, groups) {
      const person = people.get(id);
      if (!person) return;
      if (groups === null) people.delete(id);
      else people.set(id, { ...person, groups: [...groups] });
    },
    mount(app) {
      const form = express.urlencoded({ extended: false, limit: '4kb' });
      app.get('/dev-idp/interaction/:uid', async (req: Request, res: Response, next) => {
        try {
          const details = await provider.interactionDetails(req, res);
          const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint : '';
          loginPage(res, details.uid, null, hint);
        } catch (error) {
          next(error);
        }
      });
      app.post('/dev-idp/interaction/:uid/login', form, async (req: Request, res: Response, next) => {
        const key = `dev-idp:${req.ip ?? 'unknown'}`;
        if (failures.remaining(key) === 0) {
          res.setHeader('Retry-After', String(Math.ceil(failures.retryAfterMs(key) / 1000)));
          return loginPage(res, String(req.params.uid), 'Too many wrong passwords from your address. Wait a minute and try again.', '', 429);
        }
        try {
          const details = await provider.interactionDetails(req, res);
          const body = req.body as Record<string, unknown>;
          const username = typeof body.username === 'string' ? body.username : '';
          if (!people.has(username) || !passwordMatches(options.password, body.password)) {
            failures.take(key);
            return loginPage(res, details.uid, 'Unknown name or wrong password (the demo password is on the server console).', username);
          }
          await provider.interactionFinished(req, res, { login: { accountId: username } }, { mergeWithLastSubmission: false });
        } catch (error) {
          next(error);
        }
      });
      app.use('/dev-idp', provider.callback());
    },
  };
}
