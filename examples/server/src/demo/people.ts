/** The demo's sample people: who they are in the development IdP, and their groups (which map to roles). */
export interface DemoPerson {
  /** IdP subject and login name. */
  id: string;
  name: string;
  email: string;
  groups: string[];
  role: string;
}

export const DEMO_GROUPS = { technician: 'jit-technicians', approver: 'jit-approvers', admin: 'jit-admins' } as const;

export const DEMO_PEOPLE: readonly DemoPerson[] = [
  { id: 'alice', name: 'Alice Tech', email: 'alice@contoso-msp.example', groups: [DEMO_GROUPS.technician], role: 'technician' },
  { id: 'bob', name: 'Bob Tech', email: 'bob@contoso-msp.example', groups: [DEMO_GROUPS.technician], role: 'technician' },
  { id: 'carol', name: 'Carol Approver', email: 'carol@contoso-msp.example', groups: [DEMO_GROUPS.approver], role: 'approver' },
  { id: 'dave', name: 'Dave Admin', email: 'dave@contoso-msp.example', groups: [DEMO_GROUPS.admin, DEMO_GROUPS.approver], role: 'admin, approver' },
];

export const DEMO_ROLE_GROUPS = {
  technician: [DEMO_GROUPS.technician],
  approver: [DEMO_GROUPS.approver],
  admin: [DEMO_GROUPS.admin],
};
