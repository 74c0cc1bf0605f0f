import { describe, expect, it } from 'vitest';
import type { RoleAssignmentRef } from '../../domain/grant.js';
import {
  CONFORMANCE_ROLE_IDS,
  createAccount,
  iso,
  missingObjectId,
  nowOf,
  optionalInspector,
} from './conformance-harness.js';
import type { DirectoryConformanceContext, UseDirectoryContext } from './conformance-types.js';

const HOUR = 3_600_000;
const [ROLE_A, ROLE_B, ROLE_C] = CONFORMANCE_ROLE_IDS;
const sortedLower = (ids: readonly string[]) => ids.map((id) => id.toLowerCase()).sort();

/** Role assignment calls, for a tenant with and without P2. */
export function roleTests(use: UseDirectoryContext): void {
  for (const p2 of [true, false]) {
    describe(`roles, tenant with P2 ${p2 ? 'on' : 'off'}`, () => {
      const get = use({ p2, tap: true });
      /** What a request with `until` must give: time-bound only where tenant and adapter both can. */
      const expectedTimedKind = (ctx: DirectoryConformanceContext) =>
        p2 && ctx.directory.capabilities.timeBoundRoles ? 'timeBound' : 'direct';

      it('assignRole without an end time assigns the role directly', async () => {
        const ctx = get();
        const { account } = await createAccount(ctx, 'direct');
        const ref = await ctx.directory.assignRole(ctx.tenant, { objectId: account.objectId, roleId: ROLE_A, until: null, justification: 'conformance' });
        expect(ref).toMatchObject({ kind: 'direct' });
        expect(ref.roleId.toLowerCase()).toBe(ROLE_A);
        expect(ref.assignmentId).toMatch(/\S/);
        expect(sortedLower(await ctx.inspect.roleIds(account.objectId))).toEqual([ROLE_A]);
        const listed = await ctx.directory.listRoleAssignments(ctx.tenant, account.objectId);
        expect(listed).toEqual([expect.objectContaining({ assignmentId: ref.assignmentId, kind: 'direct' })]);
      });

      it(`assignRole with an end time assigns ${p2 ? 'a time-bound role (direct if the adapter lacks timeBoundRoles)' : 'directly (no P2: falls back)'}`, async ({ annotate }) => {
        const ctx = get();
        const { account } = await createAccount(ctx, 'timed');
        const until = iso(nowOf(ctx) + 2 * HOUR);
        const ref = await ctx.directory.assignRole(ctx.tenant, { objectId: account.objectId, roleId: ROLE_A, until, justification: 'conformance' });
        const kind = expectedTimedKind(ctx);
        expect(ref.kind).toBe(kind);
        expect(sortedLower(await ctx.inspect.roleIds(account.objectId))).toEqual([ROLE_A]);
        const listed = await ctx.directory.listRoleAssignments(ctx.tenant, account.objectId);
        expect(listed).toEqual([expect.objectContaining({ assignmentId: ref.assignmentId, kind })]);
        const assignmentOf = optionalInspector(ctx, 'assignmentOf', annotate);
        if (assignmentOf) {
          const held = await assignmentOf(account.objectId, ROLE_A);
          expect(held?.kind).toBe(kind);
          if (kind === 'timeBound') {
            expect(Math.abs(Date.parse(held?.until ?? '') - Date.parse(until))).toBeLessThanOrEqual(60_000);
          } else {
            expect(held?.until ?? null).toBeNull();
          }
        }
      });

      it('assignRole again returns the existing assignment and adds none', async () => {
        const ctx = get();
        const { account } = await createAccount(ctx, 'twice');
        for (const until of [null, iso(nowOf(ctx) + HOUR)]) {
          const roleId = until === null ? ROLE_A : ROLE_B;
          const request = { objectId: account.objectId, roleId, until, justification: 'conformance' };
          const first = await ctx.directory.assignRole(ctx.tenant, request);
          const second = await ctx.directory.assignRole(ctx.tenant, request);
          expect(second).toEqual(first);
        }
        const listed = await ctx.directory.listRoleAssignments(ctx.tenant, account.objectId);
        expect(sortedLower(listed.map((a) => a.roleId))).toEqual(sortedLower([ROLE_A, ROLE_B]));
        expect(sortedLower(await ctx.inspect.roleIds(account.objectId))).toEqual(sortedLower([ROLE_A, ROLE_B]));
      });

      it('assignRole with a later end time extends a time-bound assignment', async ({ skip, annotate }) => {
        const ctx = get();
        skip(expectedTimedKind(ctx) !== 'timeBound', 'only a time-bound assignment has an end time to extend');
        const { account } = await createAccount(ctx, 'extend');
        const request = { objectId: account.objectId, roleId: ROLE_A, justification: 'conformance' };
        const first = await ctx.directory.assignRole(ctx.tenant, { ...request, until: iso(nowOf(ctx) + HOUR) });
        const later = iso(nowOf(ctx) + 5 * HOUR);
        const extended = await ctx.directory.assignRole(ctx.tenant, { ...request, until: later });
        expect(extended.roleId.toLowerCase()).toBe(ROLE_A);
        expect(extended.kind).toBe('timeBound');
        const listed = await ctx.directory.listRoleAssignments(ctx.tenant, account.objectId);
        expect(listed).toHaveLength(1);
        expect([first.assignmentId, extended.assignmentId]).toContain(listed[0]?.assignmentId);
        expect(sortedLower(await ctx.inspect.roleIds(account.objectId))).toEqual([ROLE_A]);
        const assignmentOf = optionalInspector(ctx, 'assignmentOf', annotate);
        if (assignmentOf) {
          const held = await assignmentOf(account.objectId, ROLE_A);
          expect(Date.parse(held?.until ?? '')).toBeGreaterThanOrEqual(Date.parse(later) - 60_000);
        }
      });

      it('removeRoleAssignments removes the given assignments and leaves the others', async () => {
        const ctx = get();
        const { account } = await createAccount(ctx, 'remove');
        const refs: RoleAssignmentRef[] = [];
        for (const [roleId, until] of [
          [ROLE_A, null],
          [ROLE_B, iso(nowOf(ctx) + HOUR)],
          [ROLE_C, null],
        ] as const) {
          refs.push(await ctx.directory.assignRole(ctx.tenant, { objectId: account.objectId, roleId, until, justification: 'conformance' }));
        }
        await ctx.directory.removeRoleAssignments(ctx.tenant, account.objectId, refs.slice(0, 2));
        expect(sortedLower(await ctx.inspect.roleIds(account.objectId))).toEqual([ROLE_C]);
        const left = await ctx.directory.listRoleAssignments(ctx.tenant, account.objectId);
        expect(left.map((a) => a.assignmentId)).toEqual([refs[2]?.assignmentId]);
        await ctx.directory.removeRoleAssignments(ctx.tenant, account.objectId, refs);
        expect(await ctx.inspect.roleIds(account.objectId)).toEqual([]);
        expect(await ctx.directory.listRoleAssignments(ctx.tenant, account.objectId)).toEqual([]);
        expect((await ctx.directory.readAccount(ctx.tenant, account.objectId))?.assignments).toEqual([]);
      });

      it('removeRoleAssignments of assignments already gone, unknown ones, or on a missing account is done', async () => {
        const ctx = get();
        const { account } = await createAccount(ctx, 'removegone');
        const ref = await ctx.directory.assignRole(ctx.tenant, { objectId: account.objectId, roleId: ROLE_A, until: null, justification: 'conformance' });
        await ctx.directory.removeRoleAssignments(ctx.tenant, account.objectId, [ref]);
        await ctx.directory.removeRoleAssignments(ctx.tenant, account.objectId, [ref]);
        const unknown: RoleAssignmentRef[] = [
          { roleId: ROLE_B, assignmentId: 'bm90LWEtcmVhbC1hc3NpZ25tZW50LWlk-1', kind: 'direct' },
          { roleId: ROLE_C, assignmentId: missingObjectId(), kind: 'timeBound' },
        ];
        await ctx.directory.removeRoleAssignments(ctx.tenant, account.objectId, unknown);
        await ctx.directory.removeRoleAssignments(ctx.tenant, missingObjectId(), [ref, ...unknown]);
        await ctx.directory.removeRoleAssignments(ctx.tenant, account.objectId, []);
        expect(await ctx.inspect.roleIds(account.objectId)).toEqual([]);
      });

      it('listRoleAssignments shows a role added by hand (drift), which can then be removed', async () => {
        const ctx = get();
        const { account } = await createAccount(ctx, 'drift');
        const ours = await ctx.directory.assignRole(ctx.tenant, { objectId: account.objectId, roleId: ROLE_A, until: null, justification: 'conformance' });
        await ctx.inspect.addRoleByHand(account.objectId, ROLE_B);
        const listed = await ctx.directory.listRoleAssignments(ctx.tenant, account.objectId);
        expect(sortedLower(listed.map((a) => a.roleId))).toEqual(sortedLower([ROLE_A, ROLE_B]));
        expect(listed.map((a) => a.assignmentId)).toContain(ours.assignmentId);
        await ctx.directory.removeRoleAssignments(ctx.tenant, account.objectId, listed);
        expect(await ctx.inspect.roleIds(account.objectId)).toEqual([]);
      });

      it('listRoleAssignments of a missing account is empty', async () => {
        const ctx = get();
        expect(await ctx.directory.listRoleAssignments(ctx.tenant, missingObjectId())).toEqual([]);
      });
    });
  }
}
