/**
 * Errors to HTTP: jitadmin errors keep their code and get `httpStatusFor`'s status; body-parser and routing
 * failures become VALIDATION_FAILED (4xx); anything else is INTERNAL (500), logged without its message
 * reaching the client. API paths answer `{ error: { code, message, field? } }`; pages answer an HTML page.
 */
import { JitError, httpStatusFor, isJitError, ValidationError } from '@jitadmin/core';
import type { ErrorRequestHandler, Request } from 'express';
import type { Logger } from 'pino';
import { errorFacts } from '../auth/routes.js';

export function toJitError(error: unknown): { error: JitError; status: number } {
  if (isJitError(error)) return { error, status: httpStatusFor(error.code) };
  const e = error as { type?: unknown; status?: unknown; statusCode?: unknown } | null;
  const status = typeof e?.status === 'number' ? e.status : typeof e?.statusCode === 'number' ? e.statusCode : 0;
  if (e && typeof e === 'object' && status >= 400 && status < 500) {
    const message =
      e.type === 'entity.parse.failed'
        ? 'body is not valid JSON'
        : e.type === 'entity.too.large'
          ? 'body is too large'
          : e.type === 'encoding.unsupported' || e.type === 'charset.unsupported'
            ? 'body encoding is not supported'
            : error instanceof URIError
              ? 'path is not validly encoded'
              : 'request is malformed';
    return { error: new ValidationError(message, { cause: error }), status };
  }
  return { error: new JitError('INTERNAL', 'internal error', { cause: error }), status: 500 };
}

export function isApiRequest(req: Request): boolean {
  return req.path.startsWith('/api/');
}

export function errorHandler(logger: Logger, renderHtml: (req: Request, res: Parameters<ErrorRequestHandler>[2], status: number, message: string) => void): ErrorRequestHandler {
  return (err, req, res, next) => {
    if (res.headersSent) return next(err);
    const { error, status } = toJitError(err);
    if (status >= 500) {
      logger.error({ err: errorFacts(err), code: error.code, path: req.path }, 'request failed');
    }
    if (error.retryAfterMs !== undefined) res.setHeader('Retry-After', String(Math.ceil(error.retryAfterMs / 1000)));
    const message = status >= 500 && error.code === 'INTERNAL' ? 'internal error' : error.message;
    if (isApiRequest(req) || !req.accepts('html')) {
      res.status(status).json({ error: { code: error.code, message, ...(error.field ? { field: error.field } : {}) } });
    } else {
      renderHtml(req, res, status, message);
    }
  };
}
