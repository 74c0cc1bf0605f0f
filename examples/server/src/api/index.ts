/** The `/api/v1` router: every resource's routes, one definition list shared with the OpenAPI document. */
import { Router, type Request, type Response } from 'express';
import type { JitError } from '@jitadmin/core';
import { getAuth, requireAuth } from '../auth/context.js';
import { API_ACCESS, assertAdmitted, routeKey, type RouteAccess } from '../auth/route-access.js';
import { auditRoutes } from './audit.js';
import { customerRoutes } from './customers.js';
import type { ApiDeps } from './deps.js';
import { grantRoutes } from './grants.js';
import { meRoutes } from './me.js';
import { mountRoutes, type AnyRoute } from './route.js';
import { ruleRoutes } from './rules.js';
import { technicianRoutes } from './technicians.js';

export function apiRoutes(deps: ApiDeps): AnyRoute[] {
  return [
    ...meRoutes(deps),
    ...customerRoutes(deps),
    ...technicianRoutes(deps),
    ...ruleRoutes(deps),
    ...grantRoutes(deps),
    ...auditRoutes(deps),
  ];
}

/** Who may call a route, from the table in auth/route-access.ts; a route missing there is a programming error. */
export function accessOf(def: AnyRoute): RouteAccess {
  const access = API_ACCESS[routeKey(def.method, def.path)];
  if (!access) throw new Error(`${routeKey(def.method, def.path)} is not in the route access table (auth/route-access.ts)`);
  return access;
}

export function apiRouter(routes: readonly AnyRoute[]): Router {
  const router = Router();
  for (const def of routes) accessOf(def);
  mountRoutes(router, routes, (def: AnyRoute, _req: Request, res: Response) => {
    assertAdmitted(accessOf(def), getAuth(res), res.locals.authError as JitError | undefined);
    return requireAuth(res).actor;
  });
  return router;
}
