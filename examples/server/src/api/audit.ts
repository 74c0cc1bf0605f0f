/** `/audit`: the provider's audit trail and its hash-chain verification. */
import { Id } from '@jitadmin/core';
import { z } from 'zod';
import type { ApiDeps } from './deps.js';
import { q, route, type AnyRoute } from './route.js';
import { AuditList, ChainVerification } from './schemas.js';

export const AuditQuery = z.object({
  afterSeq: q.int(0, 2_000_000_000).optional().describe('Only events after this sequence number'),
  grantId: Id.optional(),
  limit: q.int(1, 10_000).optional(),
});

export function auditRoutes(deps: ApiDeps): AnyRoute[] {
  const tag = 'audit';
  return [
    route({
      method: 'get', path: '/audit', operationId: 'listAudit', tag, summary: 'Audit events in sequence order',
      query: AuditQuery, response: AuditList, responseName: 'AuditList',
      handler: async ({ actor, query }) => ({ items: await deps.jit.listAudit(actor, query) }),
    }),
    route({
      method: 'get', path: '/audit/verify', operationId: 'verifyAuditChain', tag, summary: 'Verify the hash chain',
      response: ChainVerification, responseName: 'ChainVerification',
      handler: ({ actor }) => deps.jit.verifyAuditChain(actor),
    }),
  ];
}
