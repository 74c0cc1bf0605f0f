/** `/entitlements` and `/grants`: what I may request, and the grant lifecycle. */
import {
  DecisionInput,
  ExtendInput,
  ForbiddenError,
  Grant,
  GrantState,
  Id,
  RequestAccessInput,
  RevokeInput,
} from '@jitadmin/core';
import { z } from 'zod';
import type { ApiDeps } from './deps.js';
import { q, route, type AnyRoute } from './route.js';
import { EntitlementList, GrantPage, GrantParams, GrantView, RevealedCredential, grantView } from './schemas.js';

export const GrantQuery = z.object({
  scope: z.enum(['mine', 'approvable', 'all']).optional().describe('mine (default), approvable (waiting for me), all (admins, approvers)'),
  states: q.list(GrantState, 11).optional().describe('Comma-separated grant states'),
  customerId: Id.optional(),
  technicianId: Id.optional(),
  limit: q.int(1, 1000).optional(),
  cursor: z.string().max(512).optional(),
});

export function grantRoutes(deps: ApiDeps): AnyRoute[] {
  const tag = 'grants';
  const poke = <T>(value: T): T => {
    deps.jit.scheduler.poke();
    return value;
  };
  return [
    route({
      method: 'get', path: '/entitlements', operationId: 'whatMayIRequest', tag,
      summary: 'What the caller may request: customers, roles, durations, approvals',
      response: EntitlementList, responseName: 'EntitlementList',
      handler: async ({ actor }) => ({ items: await deps.jit.whatMayIRequest(actor) }),
    }),
    route({
      method: 'get', path: '/grants', operationId: 'listGrants', tag, summary: 'List grants with filters (newest first)',
      query: GrantQuery, response: GrantPage, responseName: 'GrantPage',
      handler: async ({ actor, query }) => {
        const page = await deps.jit.listGrants(actor, query);
        return { items: page.items.map(grantView), nextCursor: page.nextCursor };
      },
    }),
    route({
      method: 'post', path: '/grants', operationId: 'requestAccess', tag, summary: 'Request access',
      body: RequestAccessInput, bodyName: 'RequestAccessInput', response: Grant, responseName: 'Grant', status: 201,
      handler: async ({ actor, body }) => poke(await deps.jit.requestAccess(actor, body)),
    }),
    route({
      method: 'get', path: '/grants/:grantId', operationId: 'getGrant', tag, summary: 'Read one grant',
      params: GrantParams, response: GrantView, responseName: 'GrantView',
      handler: async ({ actor, params }) => grantView(await deps.jit.getGrant(actor, params.grantId)),
    }),
    route({
      method: 'post', path: '/grants/:grantId/approve', operationId: 'approveGrant', tag, summary: 'Approve a request',
      params: GrantParams, body: DecisionInput, bodyName: 'DecisionInput', bodyOptional: true, response: Grant, responseName: 'Grant',
      handler: async ({ actor, params, body }) => poke(await deps.jit.approve(actor, params.grantId, body)),
    }),
    route({
      method: 'post', path: '/grants/:grantId/deny', operationId: 'denyGrant', tag, summary: 'Deny a request',
      params: GrantParams, body: DecisionInput, bodyName: 'DecisionInput', bodyOptional: true, response: Grant, responseName: 'Grant',
      handler: async ({ actor, params, body }) => poke(await deps.jit.deny(actor, params.grantId, body)),
    }),
    route({
      method: 'post', path: '/grants/:grantId/cancel', operationId: 'cancelGrant', tag, summary: 'Cancel my request before it starts',
      params: GrantParams, response: Grant, responseName: 'Grant',
      handler: async ({ actor, params }) => poke(await deps.jit.cancel(actor, params.grantId)),
    }),
    route({
      method: 'post', path: '/grants/:grantId/extend', operationId: 'extendGrant', tag, summary: 'Extend an active grant within the rule maximum; one that needed approval waits for approval again (see pendingExtension)',
      params: GrantParams, body: ExtendInput, bodyName: 'ExtendInput', response: Grant, responseName: 'Grant',
      handler: async ({ actor, params, body }) => poke(await deps.jit.extend(actor, params.grantId, body)),
    }),
    route({
      method: 'post', path: '/grants/:grantId/extension/approve', operationId: 'approveExtension', tag,
      summary: 'Approve the extension waiting on a grant (the last approval needed extends it)',
      params: GrantParams, body: DecisionInput, bodyName: 'DecisionInput', bodyOptional: true, response: Grant, responseName: 'Grant',
      handler: async ({ actor, params, body }) => poke(await deps.jit.approveExtension(actor, params.grantId, body)),
    }),
    route({
      method: 'post', path: '/grants/:grantId/extension/deny', operationId: 'denyExtension', tag,
      summary: 'Refuse the extension waiting on a grant; it keeps its end',
      params: GrantParams, body: DecisionInput, bodyName: 'DecisionInput', bodyOptional: true, response: Grant, responseName: 'Grant',
      handler: async ({ actor, params, body }) => poke(await deps.jit.denyExtension(actor, params.grantId, body)),
    }),
    route({
      method: 'post', path: '/grants/:grantId/credential', operationId: 'reissueCredential', tag,
      summary: 'Replace the credential of my active grant (the old one stops working); reveal the new one once',
      params: GrantParams, response: Grant, responseName: 'Grant', status: 202,
      handler: async ({ actor, params }) => poke(await deps.jit.reissueCredential(actor, params.grantId)),
    }),
    route({
      method: 'post', path: '/grants/:grantId/revoke', operationId: 'revokeGrant', tag, summary: 'End a grant now',
      params: GrantParams, body: RevokeInput, bodyName: 'RevokeInput', bodyOptional: true, response: Grant, responseName: 'Grant',
      handler: async ({ actor, params, body }) => poke(await deps.jit.revoke(actor, params.grantId, body)),
    }),
    route({
      method: 'post', path: '/grants/:grantId/reveal', operationId: 'revealCredential', tag,
      summary: 'Reveal the credential of my active grant (once); rate limited',
      params: GrantParams, response: RevealedCredential, responseName: 'RevealedCredential',
      handler: async ({ actor, params, res }) => {
        const key = actor.kind === 'person' ? `reveal:${actor.technicianId}` : 'reveal:system';
        if (!deps.revealLimiter.take(key)) {
          res.setHeader('Retry-After', String(Math.ceil(deps.revealLimiter.retryAfterMs(key) / 1000)));
          throw new ForbiddenError('RATE_LIMITED', 'too many credential reveals; wait a minute');
        }
        res.setHeader('Cache-Control', 'no-store');
        return deps.jit.revealCredential(actor, params.grantId);
      },
    }),
  ];
}
