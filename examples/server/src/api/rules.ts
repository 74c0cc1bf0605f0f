/** `/rules`: entitlement rules, CRUD (admins). */
import { EntitlementRule, NotFoundError, RuleInput } from '@jitadmin/core';
import type { ApiDeps } from './deps.js';
import { route, type AnyRoute } from './route.js';
import { RuleList, RuleParams, RuleResult } from './schemas.js';

export function ruleRoutes(deps: ApiDeps): AnyRoute[] {
  const tag = 'rules';
  return [
    route({
      method: 'get', path: '/rules', operationId: 'listRules', tag, summary: 'List entitlement rules',
      response: RuleList, responseName: 'RuleList',
      handler: async ({ actor }) => ({ items: await deps.jit.listRules(actor) }),
    }),
    route({
      method: 'post', path: '/rules', operationId: 'createRule', tag, summary: 'Create a rule',
      body: RuleInput, bodyName: 'RuleInput', response: RuleResult, responseName: 'RuleResult', status: 201,
      handler: ({ actor, body }) => deps.jit.createRule(actor, body),
    }),
    route({
      method: 'get', path: '/rules/:ruleId', operationId: 'getRule', tag, summary: 'Read one rule',
      params: RuleParams, response: EntitlementRule, responseName: 'EntitlementRule',
      handler: async ({ actor, params }) => {
        const rule = (await deps.jit.listRules(actor)).find((r) => r.id === params.ruleId);
        if (!rule) throw new NotFoundError(`rule ${params.ruleId} not found`);
        return rule;
      },
    }),
    route({
      method: 'put', path: '/rules/:ruleId', operationId: 'updateRule', tag, summary: 'Replace a rule',
      params: RuleParams, body: RuleInput, bodyName: 'RuleInput', response: RuleResult, responseName: 'RuleResult',
      handler: ({ actor, params, body }) => deps.jit.updateRule(actor, params.ruleId, body),
    }),
    route({
      method: 'delete', path: '/rules/:ruleId', operationId: 'deleteRule', tag, summary: 'Delete a rule',
      params: RuleParams, response: null,
      handler: ({ actor, params }) => deps.jit.deleteRule(actor, params.ruleId),
    }),
  ];
}
