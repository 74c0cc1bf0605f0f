/**
 * The composition root: from a validated configuration to a listening server. Demo mode adds the fake Entra
 * ID, the development IdP and the sample data; production wires PostgreSQL, the Entra adapter and the real
 * IdP. Tests call `startServer` in-process (ephemeral port, captured logs); `main.ts` adds signals.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import {
  createAesGcmSecretBox,
  createJitAdmin,
  DEFAULT_SECRET_BOX_KEY_ID,
  generateSecretBoxKey,
  type Clock,
  type DirectoryAdapter,
  type JitAdminOptions,
  type Logger as CoreLogger,
  type Store,
} from '@jitadmin/core';
import { entraDirectory, type EntraCredential } from '@jitadmin/entra-adapter';
import type { FakeEntra } from '@jitadmin/entra-adapter/testing';
import type { DestinationStream, Logger } from 'pino';
import { buildApp, type BuiltApp } from './app.js';
import { createOidcClient } from './auth/oidc.js';
import { inviteBootstrapAdmins } from './auth/roster.js';
import type { ServerConfig } from './config.js';
import { isLoopbackHttp } from './config-safety.js';
import type { DemoEntra } from './demo/entra.js';
import type { DevIdp } from './demo/idp.js';
import type { DemoPerson } from './demo/people.js';
import { html } from './http/html.js';
import { startLeaverLoop } from './leaver-loop.js';
import { createLogger } from './logging.js';
import { createMetrics, type Metrics } from './metrics.js';
import { openStore } from './open-store.js';
import { startReconcileLoop } from './reconcile-loop.js';
import type { JitRuntime } from './runtime.js';

export const VERSION = '0.1.0';

export interface StartOptions {
  /** Where log lines go (default stdout). */
  logDestination?: DestinationStream;
  /** A store to use instead of the configured one (tests). */
  store?: Store;
  /** Core options to override (tests shorten intervals). */
  coreOptions?: Partial<JitAdminOptions>;
  /** Keep demo keys in memory instead of `<dataDir>/demo-secrets.json` (tests). */
  ephemeralSecrets?: boolean;
  /** Collect Node's default process metrics (default true). */
  defaultMetrics?: boolean;
  /** The clock core, sessions and API tokens run on (tests: `createTestClock`, e.g. to let a consent link or a session expire). Default: the wall clock. */
  clock?: Clock;
}

export interface RunningServer {
  url: string;
  port: number;
  http: Server;
  built: BuiltApp;
  jit: JitRuntime;
  store: Store;
  logger: Logger;
  metrics: Metrics;
  demo: { fake: FakeEntra; idp: DevIdp; password: string; people: readonly DemoPerson[]; entraClientSecret: string; idpClientSecret: string } | null;
  /** The keys in use (for tests that prove they never reach a log line); `secretBoxKey` is the current one. */
  secrets: { sessionSecret: string; secretBoxKey: string; secretBoxKeyIds: string[] };
  /** Runs the reconciler now (as its timer does), recording the metrics. */
  reconcileNow(): Promise<void>;
  /** Runs the leaver sweep now (as its timer does). */
  sweepLeaversNow(): Promise<void>;
  /** Stops taking requests, finishes the step in hand, closes the store. */
  close(): Promise<void>;
}

function demoSecrets(config: ServerConfig, ephemeral: boolean): { secretBoxKey: string; sessionSecret: string } {
  const fresh = () => ({ secretBoxKey: generateSecretBoxKey(), sessionSecret: randomBytes(48).toString('base64url') });
  if (ephemeral) return fresh();
  mkdirSync(config.dataDir, { recursive: true });
  const file = join(config.dataDir, 'demo-secrets.json');
  if (existsSync(file)) return JSON.parse(readFileSync(file, 'utf8')) as { secretBoxKey: string; sessionSecret: string };
  const secrets = fresh();
  writeFileSync(file, JSON.stringify(secrets), { mode: 0o600 });
  chmodSync(file, 0o600);
  return secrets;
}

/** Times every directory call for the metrics; outcome is `ok` or the jitadmin error code. */
function timedDirectory(directory: DirectoryAdapter, metrics: Metrics): DirectoryAdapter {
  return new Proxy(directory, {
    get(target, prop, receiver) {
      const value = Reflect.get(target, prop, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return async (...args: unknown[]) => {
        const end = metrics.directoryCalls.startTimer({ operation: String(prop) });
        try {
          const result = await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args);
          end({ outcome: 'ok' });
          return result;
        } catch (error) {
          const code = (error as { code?: unknown }).code;
          end({ outcome: typeof code === 'string' && /^[A-Z_]{1,40}$/.test(code) ? code : 'error' });
          throw error;
        }
      };
    },
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export async function startServer(config: ServerConfig, options: StartOptions = {}): Promise<RunningServer> {
  const demoMode = config.mode === 'demo';
  // loadConfig already refuses this; a configuration built by hand must not seed sample people into a real database.
  if (demoMode && config.databaseUrl) throw new Error('configuration: demo mode never runs against DATABASE_URL (set JITADMIN_MODE=production)');
  // Loaded only in demo mode, so production never loads the development IdP, the fake Entra ID or msw.
  const demo = demoMode ? await import('./demo/index.js') : null;
  const logger = createLogger({ level: config.logLevel, ...(options.logDestination ? { destination: options.logDestination } : {}) });
  const coreLogger: CoreLogger = logger.child({ component: 'core' });

  // Listen first (with PORT=0 the URL is known only then) and answer 503 until the app is ready.
  let handle: (req: IncomingMessage, res: ServerResponse) => void = (_req, res) => {
    res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '2' }).end('{"error":{"code":"STORE_UNAVAILABLE","message":"starting"}}');
  };
  const http = createServer((req, res) => handle(req, res));
  http.keepAliveTimeout = 65_000;
  const port = await listen(http, config.port, config.host);
  // With PORT=0 the URL is known only now.
  const publicUrl = config.port === 0 ? `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}` : config.publicUrl;

  const secrets =
    demoMode && (!config.sessionSecret || !config.secretBoxKeys) ? demoSecrets(config, options.ephemeralSecrets ?? false) : null;
  const sessionSecret = config.sessionSecret ?? secrets!.sessionSecret;
  const secretBoxKeys = config.secretBoxKeys ?? [{ id: DEFAULT_SECRET_BOX_KEY_ID, key: secrets!.secretBoxKey }];

  const store = options.store ?? (await openStore(config));
  const metrics = createMetrics({ store, providerId: config.providerId, defaultMetrics: options.defaultMetrics ?? true });

  let demoEntra: DemoEntra | null = null;
  let entraClientId: string;
  let credential: EntraCredential;
  let authorityHost: string | undefined;
  if (demo && !config.entra) {
    const connected = new Set(
      (await store.listCustomers(config.providerId).catch(() => [])).flatMap((c) => (c.connection ? [c.connection.tenantId] : [])),
    );
    const seeded = (await store.getProvider(config.providerId)) !== null;
    demoEntra = demo.startDemoEntra({
      // On first start the two sample customers are connected by the seed; later, whatever the store says.
      consented: (tenantId) => connected.has(tenantId) || (!seeded && demo.DEMO_TENANTS.some((t) => t.tenantId === tenantId && t.key !== 'tailspin')),
      localHosts: [new URL(publicUrl).hostname],
    });
    entraClientId = demo.DEMO_ENTRA_CLIENT_ID;
    credential = { clientSecret: demoEntra.clientSecret };
  } else {
    if (!config.entra) throw new Error('configuration: ENTRA_CLIENT_ID is required');
    entraClientId = config.entra.clientId;
    credential =
      config.entra.credential.kind === 'secret'
        ? { clientSecret: config.entra.credential.clientSecret! }
        : { privateKeyPem: config.entra.credential.privateKey!, thumbprintSha256: config.entra.credential.thumbprintSha256! };
    authorityHost = config.entra.authorityHost ?? undefined;
  }
  const directory = timedDirectory(
    entraDirectory({ clientId: entraClientId, credential, logger: logger.child({ component: 'entra' }), ...(authorityHost ? { authorityHost } : {}) }),
    metrics,
  );

  const secretBox = createAesGcmSecretBox(secretBoxKeys);
  const jit = createJitAdmin({
    store,
    directory,
    secretBox,
    ...(options.clock ? { clock: options.clock } : {}),
    logger: coreLogger,
    events: {
      emit(event) {
        metrics.onEvent(event);
        logger.info({ event: event.type, grantId: event.grantId, customerId: event.customerId, state: event.state }, 'grant event');
      },
    },
    // The server runs the reconciler itself, to export its results as metrics.
    options: { ...(config.sweepIntervalMs ? { sweepIntervalMs: config.sweepIntervalMs } : {}), ...options.coreOptions, reconcileIntervalMs: 0 },
  }) satisfies JitRuntime;

  let demoPassword: string | null = null;
  if (demo) {
    await demo.seedDemo(jit, store, config.providerId, config.providerName);
    demoPassword = config.demoPassword ?? randomBytes(6).toString('base64url');
  } else {
    // The provider's name and branding follow the configuration; written only when they differ.
    const wanted = { id: config.providerId, name: config.providerName, branding: { name: config.providerName, ...config.branding } };
    const existing = await store.getProvider(config.providerId);
    const b = existing?.branding;
    const same =
      !!existing && existing.name === wanted.name && b?.name === wanted.branding.name && b?.logoUrl === wanted.branding.logoUrl && b?.accentColor === wanted.branding.accentColor;
    if (!same) {
      await jit.upsertProvider(wanted);
    }
  }
  await inviteBootstrapAdmins({ store, jit }, config.providerId, config.bootstrapAdmins);

  const devIdp = demo && !config.oidc ? demo.createDevIdp({ publicUrl, people: demo.DEMO_PEOPLE, password: demoPassword! }) : null;
  const oidc = devIdp
    ? createOidcClient({ issuer: devIdp.issuer, clientId: devIdp.clientId, clientSecret: devIdp.clientSecret, scopes: 'openid email profile offline_access', allowHttp: true })
    : createOidcClient({ ...config.oidc!, allowHttp: isLoopbackHttp(config.oidc!.issuer) });

  let accepting = true;
  const roleGroups = demo && Object.values(config.roleGroups).every((g) => g.length === 0) ? demo.DEMO_ROLE_GROUPS : config.roleGroups;
  const built = buildApp({
    settings: {
      mode: config.mode,
      publicUrl,
      secureCookies: publicUrl.startsWith('https://'),
      trustProxy: config.trustProxy,
      sessionSecret,
      sessionTtlMinutes: config.sessionTtlMinutes,
      roleGroups,
      groupsClaim: config.oidc?.groupsClaim ?? 'groups',
      subjectClaim: config.oidc?.subjectClaim ?? 'sub',
      prompt: config.oidc?.prompt ?? (devIdp ? 'login' : null),
      idpSignOut: !devIdp,
      metricsToken: config.metricsToken,
      entraClientId,
      ...(demo && demoEntra ? { consentAuthorityHost: `${publicUrl}${demo.DEMO_AUTHORITY_PATH}` } : authorityHost ? { consentAuthorityHost: authorityHost } : {}),
      version: VERSION,
    },
    providerId: config.providerId,
    jit,
    store,
    logger,
    metrics,
    oidc,
    isAccepting: () => accepting,
    secretBox,
    ...(options.clock ? { now: () => options.clock!.now() } : {}),
    ...(demo && devIdp && demoEntra
      ? {
          demo: {
            mountEarly: (app) => devIdp.mount(app),
            mount: (app) => app.use(demo.demoConsentRoutes({ fake: demoEntra!.fake, publicUrl })),
            signInHelp: html`<section class="notice" aria-labelledby="samples"><h2 id="samples">Sample sign-ins (demo)</h2>
<p>Password for everyone: the one printed on the server console.</p><ul>${demo.DEMO_PEOPLE.map(
              (p) => html`<li><strong>${p.id}</strong> — ${p.name} (${p.role})</li>`,
            )}</ul></section>`,
          },
        }
      : {}),
  });
  handle = built.app;

  jit.scheduler.start();
  const reconcileLoop = startReconcileLoop({
    jit,
    metrics,
    logger,
    intervalMs: config.reconcileIntervalMs ?? 15 * 60_000,
  });
  const leaverLoop = startLeaverLoop({ jit, store, providerId: config.providerId, logger, intervalMs: 30_000, now: () => options.clock?.now() ?? Date.now() });

  let closing: Promise<void> | null = null;
  const close = () =>
    (closing ??= (async () => {
      accepting = false;
      const stopped = new Promise<void>((resolve) => http.close(() => resolve()));
      http.closeIdleConnections();
      reconcileLoop.stop();
      leaverLoop.stop();
      await jit.scheduler.stop(); // finishes the step in hand
      await jit.close();
      await Promise.race([stopped, new Promise((r) => setTimeout(r, 5_000).unref())]);
      http.closeAllConnections();
      if (!options.store) await store.close();
      demoEntra?.close();
      logger.info({}, 'stopped');
    })());

  if (!demoMode && !config.metricsToken) logger.warn({}, '/metrics is off: set METRICS_TOKEN to scrape it');
  logger.info({ mode: config.mode, url: publicUrl, store: config.databaseUrl ? 'postgres' : options.store ? store.name : 'pglite' }, 'jitadmin server started');
  return {
    url: publicUrl,
    port,
    http,
    built,
    jit,
    store,
    logger,
    metrics,
    demo:
      demo && demoEntra && devIdp
        ? { fake: demoEntra.fake, idp: devIdp, password: demoPassword!, people: demo.DEMO_PEOPLE, entraClientSecret: demoEntra.clientSecret, idpClientSecret: devIdp.clientSecret }
        : null,
    secrets: { sessionSecret, secretBoxKey: secretBoxKeys[0]!.key, secretBoxKeyIds: secretBoxKeys.map((k) => k.id) },
    reconcileNow: () => reconcileLoop.runNow(),
    sweepLeaversNow: () => leaverLoop.runNow(),
    close,
  };
}
