/**
 * What is wrong with an actor object that names a provider but is not a valid `Actor`, in words an embedder
 * can act on (the actor comes from their sign-in code, not from a person at a keyboard).
 */
export function describeActorProblem(actor: object): string {
  const a = actor as { kind?: unknown; technicianId?: unknown; appRoles?: unknown; name?: unknown };
  if (a.kind === 'person') {
    if (typeof a.technicianId !== 'string') return "The actor is a person without a technicianId: set it to the signed-in technician's id";
    return "The actor has no appRoles: a person actor needs appRoles, an array of 'admin' | 'approver' | 'technician' (empty for none), from your sign-in (see docs/embedding.md, who the actor is)";
  }
  if (a.kind === 'system') return 'The actor is a system actor without a name: name it (for example "setup")';
  return `The actor's kind must be 'person' or 'system', not ${a.kind === undefined ? 'missing' : JSON.stringify(String(a.kind))}`;
}
