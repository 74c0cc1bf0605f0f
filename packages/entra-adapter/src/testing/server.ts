import { setupServer, type SetupServer } from 'msw/node';
import type { FakeEntra } from './types.js';

/**
 * An msw server with the fake's handlers that fails any other request, so nothing reaches Microsoft.
 * Call `listen()` / `close()` yourself (beforeAll / afterAll); `listen` uses onUnhandledRequest 'error'.
 */
export function setupFakeEntraServer(fake: FakeEntra): SetupServer {
  const server = setupServer(...fake.handlers);
  const listen = server.listen.bind(server);
  server.listen = (options) => listen({ onUnhandledRequest: 'error', ...options });
  return server;
}
