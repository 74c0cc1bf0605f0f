/**
 * One definition per API route: method, path, zod schemas for params, query, body and response, and the
 * handler. The same definitions mount the Express routes and generate the OpenAPI document, so the two
 * cannot drift.
 */
import type { Actor } from '@jitadmin/core';
import { ValidationError } from '@jitadmin/core';
import type { Request, Response, Router } from 'express';
import { z } from 'zod';

export type Method = 'get' | 'post' | 'put' | 'patch' | 'delete';

export interface RouteContext<P, Q, B> {
  actor: Actor;
  params: P;
  query: Q;
  body: B;
  req: Request;
  res: Response;
}

export interface RouteDef<P = unknown, Q = unknown, B = unknown, R = unknown> {
  method: Method;
  /** Express-style path below `/api/v1`, e.g. `/grants/:grantId/approve`. */
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  body?: z.ZodType<B>;
  /** Name of the request body schema in the OpenAPI components. */
  bodyName?: string;
  /** A request without a body counts as `{}`. */
  bodyOptional?: boolean;
  response: z.ZodType<R> | null;
  responseName?: string;
  /** Success status (200 unless said). */
  status?: number;
  handler(ctx: RouteContext<P, Q, B>): Promise<R>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyRoute = RouteDef<any, any, any, any>;

export function route<P, Q, B, R>(def: RouteDef<P, Q, B, R>): RouteDef<P, Q, B, R> {
  return def;
}

/** Turns a zod failure into our validation error naming the first field at fault. */
export function toValidationError(error: z.ZodError, where: 'body' | 'query' | 'path'): ValidationError {
  const issue = error.issues[0];
  const path = issue?.path.map(String).join('.') ?? '';
  const field = path || undefined;
  const message = issue ? `${where}${path ? ` field "${path}"` : ''}: ${issue.message}` : `${where} is invalid`;
  return new ValidationError(message.slice(0, 500), field ? { field: field.slice(0, 200) } : {});
}

function parse<T>(schema: z.ZodType<T> | undefined, value: unknown, where: 'body' | 'query' | 'path'): T {
  if (!schema) return undefined as T;
  const result = schema.safeParse(value);
  if (!result.success) throw toValidationError(result.error, where);
  return result.data;
}

/**
 * Mounts routes on `router`; `actorOf` resolves the caller the route admits (throws UNAUTHENTICATED or FORBIDDEN
 * otherwise), before anything of the request is parsed.
 */
export function mountRoutes(router: Router, routes: readonly AnyRoute[], actorOf: (def: AnyRoute, req: Request, res: Response) => Actor): void {
  for (const def of routes) {
    router[def.method](def.path, async (req: Request, res: Response) => {
      const actor = actorOf(def, req, res);
      const params = parse(def.params, req.params, 'path');
      const query = parse(def.query, req.query, 'query');
      const rawBody: unknown = req.body === undefined && def.bodyOptional ? {} : req.body;
      const body = parse(def.body, def.body ? rawBody : undefined, 'body');
      const result = await def.handler({ actor, params, query, body, req, res });
      if (res.headersSent) return;
      if (def.response === null) {
        res.status(def.status ?? 204).end();
      } else {
        res.status(def.status ?? 200).json(result);
      }
    });
  }
}

/** Query helpers: query strings carry strings; these coerce them strictly. */
export const q = {
  int: (min: number, max: number) =>
    z
      .string()
      .regex(/^\d{1,9}$/, 'must be a whole number')
      .transform(Number)
      .pipe(z.number().int().min(min).max(max)),
  /** `a,b` or repeated `?x=a&x=b`. */
  list: <T extends z.ZodType<unknown, string>>(item: T, max: number) =>
    z
      .union([z.string().max(4096), z.array(z.string().max(256)).max(max)])
      .transform((v) => (Array.isArray(v) ? v : v.split(',')).map((s) => s.trim()).filter((s) => s.length > 0))
      .pipe(z.array(item).max(max)),
  bool: () => z.enum(['true', 'false']).transform((v) => v === 'true'),
};
