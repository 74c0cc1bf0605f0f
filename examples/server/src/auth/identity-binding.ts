/**
 * The binding of sessions and API tokens to the person they were issued to. Both are store records (see
 * auth/session.ts and core's `store.sessions`): a re-bind (an admin moving a roster entry to another IdP
 * subject) ends every session and API token of that technician in the store, on every replica at once — core's
 * `rebindTechnicianSubject` does it (reason `rebound`) right after the audited re-bind is stored.
 *
 * Re-binding goes through `rebindTechnician` here, the one place that then calls `onTechnicianRebound` for
 * whatever else keeps sessions or tokens of that person outside the store.
 */
import type { Actor, JitAdminService, SubjectRebindInput, Technician } from '@jitadmin/core';

export interface IdentityBindingDeps {
  jit: Pick<JitAdminService, 'rebindTechnicianSubject'>;
  /** Ends what else holds sessions or tokens of the technician; runs after the re-bind is stored. */
  onTechnicianRebound?: (technicianId: string, previousSubject: string) => Promise<void> | void;
}

/** The audited re-bind (core; it ends the technician's session and token records), then `onTechnicianRebound`. */
export async function rebindTechnician(deps: IdentityBindingDeps, actor: Actor, technicianId: string, input: SubjectRebindInput): Promise<Technician> {
  const { technician, previousSubject } = await deps.jit.rebindTechnicianSubject(actor, technicianId, input);
  await deps.onTechnicianRebound?.(technician.id, previousSubject);
  return technician;
}
