import fc from 'fast-check';
import { expect, it } from 'vitest';
import { ROLE_TEMPLATE_IDS, roleAssignmentId } from '@jitadmin/entra-adapter/testing';
import { movableClock, tenantWith, useFake } from './support.js';

/**
 * Random sequences of direct assignments, PIM assignments, removals, user deletions and clock moves, run
 * through Graph and through a plain model: every status code and, after each step, the assignments Graph
 * lists must agree with the model.
 */
const clock = movableClock();
const { fake } = useFake({ clock });
const ROLES: string[] = [ROLE_TEMPLATE_IDS.globalReader, ROLE_TEMPLATE_IDS.exchangeAdministrator];
const RA = '/roleManagement/directory/roleAssignments';
const REQ = '/roleManagement/directory/roleAssignmentScheduleRequests';

type Op =
  | { op: 'direct'; u: number; r: number }
  | { op: 'pim'; u: number; r: number; minutes: number }
  | { op: 'pimRemove'; u: number; r: number }
  | { op: 'extend'; u: number; r: number; minutes: number }
  | { op: 'deleteAssignment'; u: number; r: number }
  | { op: 'deleteUser'; u: number }
  | { op: 'advance'; minutes: number };

const ix = fc.integer({ min: 0, max: 2 });
const role = fc.integer({ min: 0, max: 1 });
const minutes = fc.integer({ min: 1, max: 120 });
const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ op: fc.constant('direct' as const), u: ix, r: role }),
  fc.record({ op: fc.constant('pim' as const), u: ix, r: role, minutes }),
  fc.record({ op: fc.constant('pimRemove' as const), u: ix, r: role }),
  fc.record({ op: fc.constant('extend' as const), u: ix, r: role, minutes }),
  fc.record({ op: fc.constant('deleteAssignment' as const), u: ix, r: role }),
  fc.record({ op: fc.constant('deleteUser' as const), u: ix }),
  fc.record({ op: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 90 }) }),
);

it('role assignments through Graph behave like the model', async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 25 }), async (ops) => {
      const { tenant, graph } = tenantWith(fake, { p2: true });
      const users = [0, 1, 2].map((i) => tenant.addUser({ userPrincipalName: `m${i}@${tenant.domain}` }).id);
      const deleted = new Set<number>();
      /** key `${u}/${r}` → end (ms) or null for permanent. */
      const model = new Map<string, number | null>();
      const expire = () => {
        for (const [k, end] of model) if (end !== null && end <= clock.now()) model.delete(k);
      };
      for (const step of ops) {
        expire();
        if (step.op === 'advance') {
          clock.advance(step.minutes * 60_000);
          expire();
        } else if (step.op === 'deleteUser') {
          const status = (await graph('DELETE', `/users/${users[step.u]}`)).status;
          expect(status).toBe(deleted.has(step.u) ? 404 : 204);
          deleted.add(step.u);
          for (const r of [0, 1]) model.delete(`${step.u}/${r}`);
        } else {
          const principalId = users[step.u] as string;
          const roleDefinitionId = ROLES[step.r] as string;
          const key = `${step.u}/${step.r}`;
          const gone = deleted.has(step.u);
          const held = model.has(key);
          const end = 'minutes' in step ? clock.now() + step.minutes * 60_000 : null;
          const schedule = { expiration: { type: 'afterDateTime', endDateTime: new Date(end ?? 0).toISOString() } };
          let status: number;
          let expected: number;
          if (step.op === 'direct') {
            status = (await graph('POST', RA, { principalId, roleDefinitionId, directoryScopeId: '/' })).status;
            expected = gone ? 404 : held ? 400 : 201;
            if (expected === 201) model.set(key, null);
          } else if (step.op === 'deleteAssignment') {
            status = (await graph('DELETE', `${RA}/${roleAssignmentId(roleDefinitionId, principalId)}`)).status;
            expected = held ? 204 : 404;
            model.delete(key);
          } else {
            const action = step.op === 'pim' ? 'adminAssign' : step.op === 'pimRemove' ? 'adminRemove' : 'adminExtend';
            const body = { action, principalId, roleDefinitionId, directoryScopeId: '/', justification: 'model', ...(end !== null ? { scheduleInfo: schedule } : {}) };
            status = (await graph('POST', REQ, body)).status;
            if (gone) expected = 404;
            else if (action === 'adminAssign') expected = held ? 400 : 201;
            else expected = held ? 201 : 400;
            if (expected === 201) {
              if (action === 'adminRemove') model.delete(key);
              else model.set(key, end);
            }
          }
          expect(status, `${JSON.stringify(step)}`).toBe(expected);
        }
        expire();
        const listed = await graph<{ value: { principalId: string; roleDefinitionId: string }[] }>('GET', RA);
        const actual = listed.body.value.map((a) => `${users.indexOf(a.principalId)}/${ROLES.indexOf(a.roleDefinitionId)}`).sort();
        expect(actual).toEqual([...model.keys()].sort());
      }
    }),
    { numRuns: 25 },
  );
});
