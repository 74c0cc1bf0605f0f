/** `/technicians`: the roster (admins). People are added by email and bound to their IdP subject at first sign-in. */
import { ForbiddenError, NotFoundError, Technician, TechnicianInput, type Actor } from '@jitadmin/core';
import { z } from 'zod';
import { INVITE_PREFIX } from '../auth/roster.js';
import type { ApiDeps } from './deps.js';
import { route, type AnyRoute } from './route.js';
import { TechnicianList, TechnicianParams, TechnicianPatch } from './schemas.js';

/** A roster entry: the subject is optional (an invitation by email until the first sign-in). */
export const RosterInput = TechnicianInput.extend({ subject: z.string().min(1).max(512).optional() });

function requireAdmin(actor: Actor) {
  if (actor.kind === 'person' && !actor.appRoles.includes('admin')) throw new ForbiddenError('FORBIDDEN', 'only an admin may change the roster');
}

export function technicianRoutes(deps: ApiDeps): AnyRoute[] {
  const tag = 'technicians';
  return [
    route({
      method: 'get', path: '/technicians', operationId: 'listTechnicians', tag, roles: ['admin'], summary: 'List the roster',
      response: TechnicianList, responseName: 'TechnicianList',
      handler: async ({ actor }) => ({ items: await deps.jit.listTechnicians(actor) }),
    }),
    route({
      method: 'post', path: '/technicians', operationId: 'addTechnician', tag, roles: ['admin'],
      summary: 'Add a person to the roster (by email; bound to their IdP subject at first sign-in)',
      body: RosterInput, bodyName: 'RosterInput', response: Technician, responseName: 'Technician', status: 201,
      handler: async ({ actor, body }) => {
        requireAdmin(actor);
        const email = body.email.toLowerCase();
        return deps.jit.upsertTechnician(actor, { ...body, email, subject: body.subject ?? `${INVITE_PREFIX}${email}` });
      },
    }),
    route({
      method: 'patch', path: '/technicians/:technicianId', operationId: 'setTechnicianActive', tag, roles: ['admin'],
      summary: 'Activate or deactivate a roster entry (deactivation ends their sessions and API tokens)',
      params: TechnicianParams, body: TechnicianPatch, bodyName: 'TechnicianPatch', response: Technician, responseName: 'Technician',
      handler: async ({ actor, params, body }) => {
        requireAdmin(actor);
        const existing = (await deps.jit.listTechnicians(actor)).find((t) => t.id === params.technicianId);
        if (!existing) throw new NotFoundError(`technician ${params.technicianId} not found`);
        return deps.jit.upsertTechnician(actor, {
          id: existing.id,
          subject: existing.subject,
          email: existing.email,
          displayName: existing.displayName,
          groups: existing.groups,
          appRoles: existing.appRoles,
          active: body.active,
        });
      },
    }),
  ];
}
