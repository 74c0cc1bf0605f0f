/**
 * Builds the Express app from injected dependencies (store, jitadmin runtime, OIDC client, logger, metrics,
 * demo hooks), so tests run the real app in-process on an ephemeral port and `main.ts` only wires and listens.
 *
 * @module
 */
import { hkdfSync } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import type { Branding, SecretBox, Store } from '@jitadmin/core';
import express, { type Express, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { apiRoutes, apiRouter } from './api/index.js';
import type { AnyRoute } from './api/route.js';
import { authenticate, csrfProtection, getAuth } from './auth/context.js';
import type { OidcClient } from './auth/oidc.js';
import type { IdentityBindingDeps } from './auth/identity-binding.js';
import { createIdpChecks } from './auth/recheck.js';
import { pageGate } from './auth/route-access.js';
import { authRoutes } from './auth/routes.js';
import { createSessionManager, csrfMatches, type SessionManager } from './auth/session.js';
import { createSigner, type Signer } from './auth/signing.js';
import type { AppRoleName } from './config.js';
import { createConsentFlow, type ConsentFlow } from './connect.js';
import { errorHandler } from './http/errors.js';
import { html, type Html } from './http/html.js';
import { createRateLimiter, type RateLimiter } from './http/rate-limit.js';
import { securityHeaders } from './http/security-headers.js';
import { requestLogger } from './logging.js';
import type { Metrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import { adminPages } from './pages/admin.js';
import { consentPages } from './pages/connect.js';
import { approverPages } from './pages/approver.js';
import { homePages } from './pages/home.js';
import { brandingCss, renderPage, type PageChrome } from './pages/layout.js';
import { DEFAULT_BRANDING, type PageDeps } from './pages/support.js';
import { technicianPages } from './pages/technician.js';
import { tokenPages } from './pages/tokens.js';
import type { JitRuntime } from './runtime.js';

export interface AppSettings {
  mode: 'demo' | 'production';
  publicUrl: string;
  secureCookies: boolean;
  trustProxy: boolean | number;
  sessionSecret: string;
  /** The absolute lifetime of a session. */
  sessionTtlMinutes: number;
  /** A session unused this long ends (default 60 minutes). */
  sessionIdleMinutes?: number;
  roleGroups: Record<AppRoleName, string[]>;
  groupsClaim: string;
  subjectClaim: string;
  prompt: string | null;
  /** Send people to the IdP's end-session endpoint on sign-out. */
  idpSignOut: boolean;
  metricsToken: string | null;
  entraClientId: string;
  /** Where admin-consent links point (Microsoft's login host, or the demo's own page). */
  consentAuthorityHost?: string;
  version: string;
  /** Sign-in limit per IP per minute (default 30); reveal limit per technician per minute (default 10). */
  signInPerMinute?: number;
  revealPerMinute?: number;
  /** Consent callbacks (`/connect/callback`, GET and POST) per client address per minute (default 20). */
  consentCallbackPerMinute?: number;
}

export interface AppDeps {
  settings: AppSettings;
  providerId: string;
  jit: JitRuntime;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  oidc: OidcClient;
  /** Demo only: mounts the development IdP and demo routes before anything else; adds sign-in help. */
  demo?: { mountEarly(app: Express): void; mount(app: Express): void; signInHelp: Html };
  /** Ends what else holds a technician's sessions and tokens after a re-bind (auth/identity-binding.ts). */
  onTechnicianRebound?: IdentityBindingDeps['onTechnicianRebound'];
  /** False while shutting down, so load balancers stop sending traffic. */
  isAccepting?: () => boolean;
  /** Seals what sessions keep of the IdP (its refresh token). */
  secretBox: SecretBox;
  /** The clock sessions and tokens are measured on (default: the wall clock; tests pass the test clock). */
  now?: () => number;
}

export interface BuiltApp {
  app: Express;
  routes: AnyRoute[];
  signer: Signer;
  sessions: SessionManager;
  consent: ConsentFlow;
  openapi: Record<string, unknown>;
  limiters: { signIn: RateLimiter; reveal: RateLimiter; consent: RateLimiter };
}

const PUBLIC_DIR = fileURLToPath(new URL('../public/', import.meta.url));

export function buildApp(deps: AppDeps): BuiltApp {
  const { settings, logger } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', settings.trustProxy);
  app.set('query parser', 'simple');

  const signer = createSigner(settings.sessionSecret);
  const now = deps.now ?? Date.now;
  if (!deps.store.sessions) throw new Error(`configuration: the ${deps.store.name} store has no sessions capability; the server keeps sessions in the store`);
  const sessions = createSessionManager({
    store: deps.store.sessions,
    providerId: deps.providerId,
    csrfKey: Buffer.from(hkdfSync('sha256', settings.sessionSecret, 'jitadmin-server', 'jitadmin:csrf', 32)),
    secure: settings.secureCookies,
    ttlMs: settings.sessionTtlMinutes * 60_000,
    idleMs: (settings.sessionIdleMinutes ?? 60) * 60_000,
    now,
  });
  const roster = { providerId: deps.providerId, roleGroups: settings.roleGroups, groupsClaim: settings.groupsClaim, subjectClaim: settings.subjectClaim };
  const signInLimiter = createRateLimiter({ limit: settings.signInPerMinute ?? 30, windowMs: 60_000 });
  const revealLimiter = createRateLimiter({ limit: settings.revealPerMinute ?? 10, windowMs: 60_000 });
  // Per client: each callback is a store write and an audit event, so a flood of forged ones is slowed here.
  const consentLimiter = createRateLimiter({ limit: settings.consentCallbackPerMinute ?? 20, windowMs: 60_000 });
  const consent = createConsentFlow({
    jit: deps.jit,
    clientId: settings.entraClientId,
    publicUrl: settings.publicUrl,
    ...(settings.consentAuthorityHost ? { authorityHost: settings.consentAuthorityHost } : {}),
  });

  let brandingCache: { at: number; branding: Branding } | null = null;
  const branding = async (): Promise<Branding> => {
    if (brandingCache && Date.now() - brandingCache.at < 30_000) return brandingCache.branding;
    const provider = await deps.store.getProvider(deps.providerId);
    const value = provider ? (provider.branding ?? { name: provider.name }) : DEFAULT_BRANDING;
    brandingCache = { at: Date.now(), branding: value };
    return value;
  };
  const chrome = async (): Promise<PageChrome> => ({ branding: await branding(), demo: settings.mode === 'demo' });

  app.use(requestLogger(logger, deps.metrics));
  // Before the demo's IdP too, so its pages get the same headers (its login page narrows the CSP further).
  app.use(securityHeaders({ secure: settings.secureCookies, formTargets: [deps.oidc.origin, ...(settings.consentAuthorityHost ? [new URL(settings.consentAuthorityHost).origin] : ['https://login.microsoftonline.com'])] }));
  deps.demo?.mountEarly(app);

  // Unauthenticated, cheap endpoints first.
  app.use('/static', express.static(PUBLIC_DIR, { index: false, maxAge: '1h' }));
  app.get('/branding.css', async (_req, res) => {
    res.type('text/css').setHeader('Cache-Control', 'max-age=60').send(brandingCss(await branding()));
  });
  app.get('/favicon.ico', (_req, res) => {
    res.status(204).setHeader('Cache-Control', 'max-age=86400').end();
  });
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', version: settings.version });
  });
  app.get('/readyz', async (_req, res) => {
    const accepting = deps.isAccepting?.() ?? true;
    let store = false;
    try {
      store = (await deps.store.getProvider(deps.providerId)) !== null;
    } catch {
      store = false;
    }
    res.status(accepting && store ? 200 : 503).json({ status: accepting && store ? 'ready' : 'not ready', store, accepting });
  });
  app.get('/metrics', async (req, res) => {
    if (!settings.metricsToken && settings.mode === 'production') {
      // Open metrics tell anyone how many grants are live and pending; production serves them to a token only.
      res.status(404).json({ error: { code: 'NOT_FOUND', message: 'metrics are off: set METRICS_TOKEN and scrape with Authorization: Bearer <token>' } });
      return;
    }
    if (settings.metricsToken && !csrfMatches(`Bearer ${settings.metricsToken}`, req.headers.authorization)) {
      res.status(401).json({ error: { code: 'UNAUTHENTICATED', message: 'metrics need the METRICS_TOKEN bearer token' } });
      return;
    }
    res.type(deps.metrics.registry.contentType).send(await deps.metrics.registry.metrics());
  });

  const recheck = createIdpChecks({ oidc: deps.oidc, secretBox: deps.secretBox, sessions, jit: deps.jit, roster, logger, now });
  const apiDeps = {
    providerId: deps.providerId,
    jit: deps.jit,
    store: deps.store,
    signer,
    consent,
    revealLimiter,
    tokenSealer: recheck.sealerFor,
    ...(deps.onTechnicianRebound ? { onTechnicianRebound: deps.onTechnicianRebound } : {}),
  };
  const routes = apiRoutes(apiDeps);
  const openapi = buildOpenApi(routes, { title: 'jitadmin', version: settings.version, serverUrl: settings.publicUrl });
  app.get('/api/openapi.json', (_req, res) => {
    res.json(openapi);
  });

  app.use(express.json({ limit: '64kb', type: ['application/json', 'application/*+json'] }));
  app.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 200 }));
  app.use(authenticate({ store: deps.store, sessions, providerId: deps.providerId, now, recheck }));
  app.use(csrfProtection());

  app.use('/api/v1', apiRouter(routes));
  app.use('/api', (_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'no such API route' } });
  });

  app.use(
    authRoutes({
      publicUrl: settings.publicUrl,
      secure: settings.secureCookies,
      prompt: settings.prompt,
      idpSignOut: settings.idpSignOut,
      oidc: deps.oidc,
      signer,
      sessions,
      secretBox: deps.secretBox,
      store: deps.store,
      jit: deps.jit,
      roster,
      limiter: signInLimiter,
      logger,
      chrome,
    }),
  );
  deps.demo?.mount(app);

  const pageDeps: PageDeps = {
    providerId: deps.providerId,
    technicianName: async (id) => (await deps.store.getTechnician(deps.providerId, id))?.displayName ?? null,
    jit: deps.jit,
    signer,
    secure: settings.secureCookies,
    chrome,
    poke: () => deps.jit.scheduler.poke(),
    tokenSealer: recheck.sealerFor,
  };
  const renderError = (req: Request, res: Response, status: number, message: string) => {
    void chrome().then(
      (c) =>
        renderPage(res, c, {
          title: status === 404 ? 'Not found' : status === 403 ? 'Not allowed' : status === 401 ? 'Sign in first' : 'Something went wrong',
          auth: getAuth(res),
          status,
          error: message,
          body: html`<p><a href="/">Back to the start</a></p>`,
        }),
      () => res.status(status).type('text').send(message),
    );
  };
  // Every page passes the route access table first (auth/route-access.ts); a page not in it is not served.
  app.use(pageGate(renderError));
  app.use(homePages({ ...pageDeps, signInHelp: deps.demo?.signInHelp ?? null }));
  app.use(tokenPages(pageDeps));
  app.use(technicianPages({ ...pageDeps, revealLimiter }));
  app.use(approverPages(pageDeps));
  app.use(adminPages({ ...pageDeps, ...(deps.onTechnicianRebound ? { onTechnicianRebound: deps.onTechnicianRebound } : {}) }));
  app.use(consentPages({ ...pageDeps, consent, consentLimiter }));
  app.use((req, res) => renderError(req, res, 404, 'There is no such page.'));
  app.use(errorHandler(logger, renderError));

  return { app, routes, signer, sessions, consent, openapi, limiters: { signIn: signInLimiter, reveal: revealLimiter, consent: consentLimiter } };
}
