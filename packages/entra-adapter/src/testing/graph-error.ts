/** An error answer of the fake Graph, thrown by route code and shaped into Graph's envelope by the pipeline. */
export class GraphFault extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly extra: { details?: { code: string; message: string; target?: string }[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'GraphFault';
  }
}

/** Graph's error body: `{"error":{"code","message","innerError":{"date","request-id","client-request-id"},"details"?}}`. */
export function errorEnvelope(
  fault: Pick<GraphFault, 'code' | 'message' | 'extra'>,
  ids: { date: string; requestId: string; clientRequestId: string },
): Record<string, unknown> {
  const error: Record<string, unknown> = {
    code: fault.code,
    message: fault.message,
    innerError: { date: ids.date, 'request-id': ids.requestId, 'client-request-id': ids.clientRequestId },
  };
  if (fault.extra.details) error.details = fault.extra.details;
  return { error };
}

/** Graph's innerError date has no fractional seconds. */
export function graphDate(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '');
}

export const notFound = (id: string): GraphFault =>
  new GraphFault(
    404,
    'Request_ResourceNotFound',
    `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
  );

export const insufficientPrivileges = (): GraphFault =>
  new GraphFault(403, 'Authorization_RequestDenied', 'Insufficient privileges to complete the operation.');

export const badRequest = (message: string, code = 'Request_BadRequest'): GraphFault => new GraphFault(400, code, message);

export const unsupportedQuery = (message: string): GraphFault => new GraphFault(400, 'Request_UnsupportedQuery', message);
