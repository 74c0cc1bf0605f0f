import { describe, expect, it } from 'vitest';
import type { Actor } from '@jitadmin/core';
import { createWorld } from '../support/world.js';

describe('getTechnician and getRule', () => {
  it('admins and approvers read any technician; a technician reads only itself, others read as not found', async () => {
    const w = await createWorld();
    expect((await w.jit.getTechnician(w.admin, 'tech')).id).toBe('tech');
    expect((await w.jit.getTechnician(w.approver2, 'tech')).id).toBe('tech');
    expect((await w.jit.getTechnician(w.tech, 'tech')).id).toBe('tech');
    await expect(w.jit.getTechnician(w.outsider, 'tech')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(w.jit.getTechnician(w.admin, 'nobody')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const otherProvider: Actor = { kind: 'person', providerId: 'msp-other', technicianId: 'admin', appRoles: ['admin'] };
    await expect(w.jit.getTechnician(otherProvider, 'tech')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await expect(w.jit.getTechnician(w.admin, '../tech')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });

  it('admins and approvers read a rule; technicians may not; unknown ids and other providers are not found', async () => {
    const w = await createWorld();
    expect((await w.jit.getRule(w.admin, 'rule-ga')).approval.required).toBe(2);
    expect((await w.jit.getRule(w.approver2, 'rule-helpdesk')).id).toBe('rule-helpdesk');
    await expect(w.jit.getRule(w.tech, 'rule-ga')).rejects.toMatchObject({ code: 'FORBIDDEN' });
    await expect(w.jit.getRule(w.admin, 'rule-none')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const otherProvider: Actor = { kind: 'person', providerId: 'msp-other', technicianId: 'admin', appRoles: ['admin'] };
    await expect(w.jit.getRule(otherProvider, 'rule-ga')).rejects.toMatchObject({ code: 'NOT_FOUND' });
  });
});
