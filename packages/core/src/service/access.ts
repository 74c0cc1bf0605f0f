import { z } from 'zod';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { Actor, AppRole } from '../domain/provider.js';
import { Id } from '../domain/common.js';
import { describeActorProblem } from './actor-problem.js';

/** Parses input with a zod schema; the first issue becomes a `ValidationError` naming the field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = [prefix, ...issue.path.map(String)].filter(Boolean).join('.');
  throw new ValidationError(field ? `${field}: ${issue.message}` : issue.message, field ? { field } : {});
}

/** Validates an id from a path or argument: a malformed one is simply not found. */
export function checkId(id: unknown, what: string): string {
  const parsed = Id.safeParse(id);
  if (!parsed.success) throw new NotFoundError(`${what} not found`);
  return parsed.data;
}

export function assertActor(actor: unknown): asserts actor is Actor {
  const a = actor as Actor | null;
  if (!a || typeof a !== 'object' || typeof a.providerId !== 'string' || !Id.safeParse(a.providerId).success) {
    throw new ForbiddenError('UNAUTHENTICATED', 'No signed-in actor');
  }
  if (a.kind === 'person' && typeof a.technicianId === 'string' && Array.isArray(a.appRoles)) return;
  if (a.kind === 'system' && typeof a.name === 'string') return;
  throw new ForbiddenError('UNAUTHENTICATED', describeActorProblem(a));
}

export function hasRole(actor: Actor, role: AppRole): boolean {
  return actor.kind === 'system' || actor.appRoles.includes(role);
}

/** Admin work: admins, and jitadmin itself during setup. */
export function requireAdmin(actor: Actor): void {
  assertActor(actor);
  if (!hasRole(actor, 'admin')) throw new ForbiddenError('FORBIDDEN', 'Only an admin may do this');
}

/** A person acting for themselves. */
export function requirePerson(actor: Actor): Extract<Actor, { kind: 'person' }> {
  assertActor(actor);
  if (actor.kind !== 'person') throw new ForbiddenError('FORBIDDEN', 'Only a person may do this');
  return actor;
}
