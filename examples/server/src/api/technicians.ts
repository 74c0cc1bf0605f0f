/** `/technicians`: the roster (admins). People are added by email and bound to their IdP subject at first sign-in. */
import { ForbiddenError, NotFoundError, Technician, TechnicianInput, type Actor } from '@jitadmin/core';
import { z } from 'zod';
import { INVITE_PREFIX } from '../auth/roster.js';
import type { ApiDeps } from './deps.js';
import { route, type AnyRoute } from './route.js';
import { LeaverReport, TechnicianList, TechnicianParams, TechnicianPatch } from './schemas.js';

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
      method: 'post', path: '/technicians/:technicianId/deactivate', operationId: 'deactivateTechnician', tag, roles: ['admin'],
      summary:
        'Deactivate a technician (a leaver): in one audited action, their live grants are revoked, their pending and scheduled requests cancelled, their sessions and API tokens ended; says what it ended',
      params: TechnicianParams, body: TechnicianPatch.pick({ reason: true }), bodyName: 'DeactivateInput', bodyOptional: true,
      response: LeaverReport, responseName: 'LeaverReport',
      handler: async ({ actor, params, body }) => deps.jit.deactivateTechnician(actor, params.technicianId, body.reason ? { reason: body.reason } : {}),
    }),
    route({
      method: 'patch', path: '/technicians/:technicianId', operationId: 'setTechnicianActive', tag, roles: ['admin'],
      summary:
        'Activate or deactivate a roster entry. Deactivation ends, in one audited action, their live grants (revoked), pending and scheduled requests (cancelled), sessions and API tokens',
      params: TechnicianParams, body: TechnicianPatch, bodyName: 'TechnicianPatch', response: Technician, responseName: 'Technician',
      handler: async ({ actor, params, body }) => {
        requireAdmin(actor);
        const existing = (await deps.jit.listTechnicians(actor)).find((t) => t.id === params.technicianId);
        if (!existing) throw new NotFoundError(`technician ${params.technicianId} not found`);
        if (!body.active) return (await deps.jit.deactivateTechnician(actor, existing.id, body.reason ? { reason: body.reason } : {})).technician;
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
