/** A complete, valid production environment (strong, fixed keys), for configuration tests to vary. */
export const PROD: Readonly<Record<string, string>> = {
  JITADMIN_MODE: 'production',
  PUBLIC_URL: 'https://jit.example.com',
  DATABASE_URL: 'postgres://jit:pw@db.internal:5432/jitadmin',
  OIDC_ISSUER: 'https://login.example.com/tenant/v2.0',
  OIDC_CLIENT_ID: 'jitadmin-web',
  OIDC_CLIENT_SECRET: 'oidc-client-secret-value',
  ROLE_GROUPS_TECHNICIAN: 'grp-techs',
  ROLE_GROUPS_APPROVER: 'grp-approvers',
  ROLE_GROUPS_ADMIN: 'grp-admins',
  ENTRA_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
  ENTRA_CLIENT_SECRET: 'entra-client-secret-value',
  SECRET_BOX_KEY: 'CAOgnfleiz1kWu49zorSkyXB7H/ofo/XMMjrGFfiRZs=',
  SESSION_SECRET: 'BPzqE_lacVxrD9RIBiU2DtrDL8-pLNgjA3yKzvNsZ_nqw1nE',
};
