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
import { LeaverReport, TechnicianList, TechnicianParams, TechnicianPatch } from './schemas.js';

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
      method: 'post', path: '/technicians/:technicianId/deactivate', operationId: 'deactivateTechnician', tag,
      summary:
        'Deactivate a technician (a leaver): in one audited action, their live grants are revoked, their pending and scheduled requests cancelled, their sessions and API tokens ended; says what it ended',
      params: TechnicianParams, body: TechnicianPatch.pick({ reason: true }), bodyName: 'DeactivateInput', bodyOptional: true,
      response: LeaverReport, responseName: 'LeaverReport',
      handler: async ({ actor, params, body }) => deps.jit.deactivateTechnician(actor, params.technicianId, body.reason ? { reason: body.reason } : {}),
    }),
    route({
      method: 'patch', path: '/technicians/:technicianId', operationId: 'setTechnicianActive', tag,
      summary:
        'Activate or deactivate a roster entry; the subject is not changed here. Deactivation ends, in one audited action, their live grants (revoked), pending and scheduled requests (cancelled), sessions and API tokens',
      params: TechnicianParams, body: TechnicianPatch, bodyName: 'TechnicianPatch', response: Technician, responseName: 'Technician',
      handler: async ({ actor, params, body }) => {
        if (!body.active) return (await deps.jit.deactivateTechnician(actor, params.technicianId, body.reason ? { reason: body.reason } : {})).technician;
        return deps.jit.updateTechnician(actor, params.technicianId, { active: true });
      },
    }),
    route({
      method: 'post', path: '/technicians/:technicianId/rebind', operationId: 'rebindTechnician', tag,
      summary: "Bind a roster entry to another IdP subject: audited (technician.subject_rebound), ends the technician's sessions and API tokens",
      params: TechnicianParams, body: SubjectRebindInput, bodyName: 'SubjectRebindInput', response: Technician, responseName: 'Technician',
      handler: ({ actor, params, body }) => rebindTechnician(deps, actor, params.technicianId, body),
    }),
  ];
}
