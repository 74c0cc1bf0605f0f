/** `/customers`: list, create, read, connect (by tenant id or admin consent), check, disconnect, break-glass. */
import { ConnectInput, Customer, CustomerInput, RevokeInput } from '@jitadmin/core';
import type { ApiDeps } from './deps.js';
import { route, type AnyRoute } from './route.js';
import { getAuth } from '../auth/context.js';
import { ConnectionHealth, ConsentLink, ConsentLinkInput, CustomerList, CustomerParams, RevokeAllResult } from './schemas.js';

export function customerRoutes(deps: ApiDeps): AnyRoute[] {
  const tag = 'customers';
  return [
    route({
      method: 'get', path: '/customers', operationId: 'listCustomers', tag, summary: 'List customers and their connection health',
      response: CustomerList, responseName: 'CustomerList',
      handler: async ({ actor }) => ({ items: await deps.jit.listCustomers(actor) }),
    }),
    route({
      method: 'post', path: '/customers', operationId: 'createCustomer', tag, summary: 'Create a customer',
      body: CustomerInput, bodyName: 'CustomerInput', response: Customer, responseName: 'Customer', status: 201,
      handler: ({ actor, body }) => deps.jit.createCustomer(actor, body),
    }),
    route({
      method: 'get', path: '/customers/:customerId', operationId: 'getCustomer', tag, summary: 'Read one customer',
      params: CustomerParams, response: Customer, responseName: 'Customer',
      handler: ({ actor, params }) => deps.jit.getCustomer(actor, params.customerId),
    }),
    route({
      method: 'post', path: '/customers/:customerId/connect', operationId: 'connectCustomer', tag,
      summary: 'Connect a tenant that already consented to the app, by tenant id (runs the preflight)',
      params: CustomerParams, body: ConnectInput, bodyName: 'ConnectInput', response: Customer, responseName: 'Customer',
      handler: ({ actor, params, body }) => deps.jit.connectCustomer(actor, params.customerId, body),
    }),
    route({
      method: 'post', path: '/customers/:customerId/consent-link', operationId: 'createConsentLink', tag,
      summary:
        "Admin-consent link for the customer's Entra ID tenant: the tenant is found from the domain given and only its consent can " +
        'connect the customer; single use, 15 minutes, bound to this admin (and session, when called with a session cookie)',
      params: CustomerParams, body: ConsentLinkInput, bodyName: 'ConsentLinkInput', response: ConsentLink, responseName: 'ConsentLink',
      handler: ({ actor, params, body, res }) => deps.consent.start({ actor, session: getAuth(res)?.session ?? null }, params.customerId, body),
    }),
    route({
      method: 'post', path: '/customers/:customerId/check', operationId: 'checkConnection', tag,
      summary: 'Run the connection preflight again', params: CustomerParams, response: Customer, responseName: 'Customer',
      handler: ({ actor, params }) => deps.jit.checkConnection(actor, params.customerId),
    }),
    route({
      method: 'get', path: '/customers/:customerId/health', operationId: 'getConnectionHealth', tag,
      summary: "The connection's health: each preflight probe's answer (yes, no, unknown), reason and age, and the rules that cannot work in the tenant",
      params: CustomerParams, response: ConnectionHealth, responseName: 'ConnectionHealth',
      handler: ({ actor, params }) => deps.jit.connectionHealth(actor, params.customerId),
    }),
    route({
      method: 'post', path: '/customers/:customerId/disconnect', operationId: 'disconnectCustomer', tag,
      summary: 'Forget the tenant connection', params: CustomerParams, response: Customer, responseName: 'Customer',
      handler: ({ actor, params }) => deps.jit.disconnectCustomer(actor, params.customerId),
    }),
    route({
      method: 'post', path: '/customers/:customerId/revoke-all', operationId: 'revokeAllForCustomer', tag,
      summary: "Break glass: end every live grant on this customer now",
      params: CustomerParams, body: RevokeInput, bodyName: 'RevokeInput', bodyOptional: true,
      response: RevokeAllResult, responseName: 'RevokeAllResult',
      handler: async ({ actor, params, body }) => {
        const result = await deps.jit.revokeAllForCustomer(actor, params.customerId, body);
        deps.jit.scheduler.poke();
        return result;
      },
    }),
  ];
}

