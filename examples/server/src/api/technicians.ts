/**
 * `/technicians`: the roster (admins). People are added by email and bound to their IdP subject at first
 * sign-in. Adding and changing are separate calls: adding never touches an existing entry, changing never
 * touches the subject, and a bound subject changes only through `/rebind`, audited, which ends the person's
 * sessions and API tokens.
 */
import { SubjectRebindInput, Technician, TechnicianInput } from '@jitadmin/core';
import { z } from 'zod';
import { INVITE_PREFIX } from '../auth/roster.js';
import { rebindTechnician } from '../auth/identity-binding.js';
import type { ApiDeps } from './deps.js';
import { route, type AnyRoute } from './route.js';
import { TechnicianList, TechnicianParams, TechnicianPatch } from './schemas.js';

/** A roster entry: the subject is optional (an invitation by email until the first sign-in). */
export const RosterInput = TechnicianInput.extend({ subject: z.string().min(1).max(512).optional() });

export function technicianRoutes(deps: ApiDeps): AnyRoute[] {
  const tag = 'technicians';
  return [
    route({
      method: 'get', path: '/technicians', operationId: 'listTechnicians', tag, summary: 'List the roster',
      response: TechnicianList, responseName: 'TechnicianList',
      handler: async ({ actor }) => ({ items: await deps.jit.listTechnicians(actor) }),
    }),
    route({
      method: 'post', path: '/technicians', operationId: 'addTechnician', tag,
      summary: 'Add a person to the roster (by email; bound to their IdP subject at first sign-in). An id in use or a subject another technician holds: 409',
      body: RosterInput, bodyName: 'RosterInput', response: Technician, responseName: 'Technician', status: 201,
      handler: async ({ actor, body }) => {
        const email = body.email.toLowerCase();
        return deps.jit.createTechnician(actor, { ...body, email, subject: body.subject ?? `${INVITE_PREFIX}${email}` });
      },
    }),
    route({
      method: 'patch', path: '/technicians/:technicianId', operationId: 'setTechnicianActive', tag,
      summary: 'Activate or deactivate a roster entry (deactivation ends their sessions and API tokens); the subject is not changed here',
      params: TechnicianParams, body: TechnicianPatch, bodyName: 'TechnicianPatch', response: Technician, responseName: 'Technician',
      handler: ({ actor, params, body }) => deps.jit.updateTechnician(actor, params.technicianId, body),
    }),
    route({
      method: 'post', path: '/technicians/:technicianId/rebind', operationId: 'rebindTechnician', tag,
      summary: "Bind a roster entry to another IdP subject: audited (technician.subject_rebound), ends the technician's sessions and API tokens",
      params: TechnicianParams, body: SubjectRebindInput, bodyName: 'SubjectRebindInput', response: Technician, responseName: 'Technician',
      handler: ({ actor, params, body }) => rebindTechnician(deps, actor, params.technicianId, body),
    }),
  ];
}
