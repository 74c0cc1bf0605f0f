/**
 * pino logging with redaction: whatever path a secret could sit on (passwords, TAPs, client secrets, tokens,
 * cookies, authorization headers) is censored before a line is written. Request lines carry the path without
 * its query string, because OIDC and consent callbacks put codes and state there.
 */
import type { RequestHandler } from 'express';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { Metrics } from './metrics.js';

export const REDACT_PATHS = [
  'password',
  'temporaryAccessPass',
  'clientSecret',
  'client_secret',
  'secret',
  'token',
  'accessToken',
  'access_token',
  'idToken',
  'id_token',
  'refreshToken',
  'code',
  'authorization',
  'cookie',
  '*.password',
  '*.temporaryAccessPass',
  '*.clientSecret',
  '*.client_secret',
  '*.secret',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.idToken',
  '*.id_token',
  '*.refreshToken',
  '*.authorization',
  '*.cookie',
  'req.headers.authorization',
  'req.headers.cookie',
  'res.headers["set-cookie"]',
  'config.sessionSecret',
  'config.secretBoxKey',
  'config.secretBoxKeys',
  'config.metricsToken',
  'config.oidc.clientSecret',
  'config.entra.credential',
];

export function createLogger(options: { level: string; destination?: DestinationStream; pretty?: boolean }): Logger {
  return pino(
    {
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      base: { service: 'jitadmin' },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}

/** One line per request, and the HTTP metrics. The route label is the matched route pattern, never raw ids. */
export function requestLogger(logger: Logger, metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const start = process.hrtime.bigint();
    res.on('finish', () => {
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      const pattern = (req.route as { path?: string } | undefined)?.path;
      const route = pattern ? `${req.baseUrl}${pattern}` : res.statusCode === 404 ? 'unmatched' : req.baseUrl || 'other';
      metrics.httpRequests.inc({ method: req.method, route, status: String(res.statusCode) });
      metrics.httpDuration.observe({ method: req.method, route }, seconds);
      const line = { method: req.method, path: req.path, status: res.statusCode, ms: Math.round(seconds * 1000) };
      if (res.statusCode >= 500) logger.error(line, 'request failed');
      else logger.info(line, 'request');
    });
    next();
  };
}

/** The line the configured logger would write for `obj` (tests prove the redaction paths). */
export function redactedForTest(obj: Record<string, unknown>): string {
  const lines: string[] = [];
  createLogger({ level: 'info', destination: { write: (s: string) => void lines.push(s) } }).info(obj, 'probe');
  return lines.join('');
}
