/** Pieces of Graph URLs: OData string literals, path segments, and the role-management base path. */

/** An OData string literal (`'it''s'`): for `$filter` values. */
export const quote = (value: string): string => `'${value.replace(/'/g, "''")}'`;

/** A path segment (object id, UPN, assignment id) made safe for the URL. */
export const segment = (value: string): string => encodeURIComponent(value);

/** Directory role management (roles, direct assignments, PIM). */
export const ROLE_MANAGEMENT = '/roleManagement/directory';
