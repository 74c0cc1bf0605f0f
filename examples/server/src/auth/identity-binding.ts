/**
 * The binding of a session or API token to the person it was issued to. Each carries the IdP subject its
 * technician was bound to when it was issued (`sub`); a request is let in only while the roster entry still
 * holds that subject. So a re-bind (an admin moving the entry to another subject) ends every session and token
 * issued before it, on every replica, with nothing to look up but the roster entry each request reads anyway.
 *
 * Re-binding goes through `rebindTechnician` here, the one place that then calls `onTechnicianRebound` for
 * whatever else keeps sessions or tokens of that person (a store of session records, for example).
 */
import type { Actor, JitAdminService, SubjectRebindInput, Technician } from '@jitadmin/core';

export interface IdentityBindingDeps {
  jit: Pick<JitAdminService, 'rebindTechnicianSubject'>;
  /** Ends what else holds sessions or tokens of the technician; runs after the re-bind is stored. */
  onTechnicianRebound?: (technicianId: string, previousSubject: string) => Promise<void> | void;
}

/** Whether a credential issued for subject `sub` still speaks for `technician`. A credential without one does not. */
export function credentialBoundTo(sub: unknown, technician: Pick<Technician, 'subject'>): boolean {
  return typeof sub === 'string' && sub.length > 0 && sub === technician.subject;
}

/** The audited re-bind (core), then the end of every session and token of the technician. */
export async function rebindTechnician(deps: IdentityBindingDeps, actor: Actor, technicianId: string, input: SubjectRebindInput): Promise<Technician> {
  const { technician, previousSubject } = await deps.jit.rebindTechnicianSubject(actor, technicianId, input);
  await deps.onTechnicianRebound?.(technician.id, previousSubject);
  return technician;
}
