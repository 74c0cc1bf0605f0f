/** The `/api/v1` router: every resource's routes, one definition list shared with the OpenAPI document. */
import { Router, type Request, type Response } from 'express';
import { requireAuth } from '../auth/context.js';
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

export function apiRouter(routes: readonly AnyRoute[]): Router {
  const router = Router();
  mountRoutes(router, routes, (_req: Request, res: Response) => requireAuth(res).actor);
  return router;
}
