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

/** A production environment that starts on this machine (loopback, port 0, the store passed in), silent. */
export const LOCAL_PROD: Readonly<Record<string, string>> = {
  JITADMIN_MODE: 'production',
  PORT: '0',
  HOST: '127.0.0.1',
  PUBLIC_URL: 'http://127.0.0.1:3999',
  DATABASE_URL: 'postgres://unused@127.0.0.1/unused',
  OIDC_ISSUER: 'https://login.example.com/tenant/v2.0',
  OIDC_CLIENT_ID: 'jitadmin-web',
  OIDC_CLIENT_SECRET: 'Qm9vdHN0cmFwLW9pZGMtc2VjcmV0LTE5ODc',
  ROLE_GROUPS_ADMIN: 'g-admins',
  ENTRA_CLIENT_ID: '11111111-2222-3333-4444-555555555555',
  ENTRA_CLIENT_SECRET: 'vX8Q~entra.Zk3-secret_9fLq2',
  SECRET_BOX_KEY: 'CAOgnfleiz1kWu49zorSkyXB7H/ofo/XMMjrGFfiRZs=',
  SESSION_SECRET: 'H7kq2VtW9xLr4ZpN8bYc3MdJ6sFg1QaE0uTo5RiK',
  LOG_LEVEL: 'silent',
};
