import { Router } from 'express';
import { addPerson } from '../../app/add-person.ts';
import type { AppDeps } from '../../app/deps.ts';
import { findPeople } from '../../app/find-people.ts';
import { grantRole, revokeRole } from '../../app/grant-role.ts';
import type { PersonWithRoles } from '../../domain/ports.ts';
import { personInputSchema, roleParamsSchema } from '../schemas.ts';
import { validate } from '../validate.ts';
import { actorOf } from '../request-context.ts';

function personView(person: PersonWithRoles) {
  return { id: person.id, displayName: person.displayName, email: person.email, roles: person.roles, active: person.active };
}

/** The school's people and roles, for its DSL Desk administrators. */
export function peopleRoutes(deps: AppDeps): Router {
  const router = Router();

  router.get('/people', async (_req, res) => {
    const actor = actorOf(res);
    res.json({ people: (await findPeople(deps, { actor, schoolId: actor.schoolId })).map(personView) });
  });

  router.post('/people', async (req, res) => {
    const actor = actorOf(res);
    const input = validate(personInputSchema, req.body, 'body');
    const { person, created } = await addPerson(deps, {
      actor,
      schoolId: actor.schoolId,
      person: {
        displayName: input.displayName,
        email: input.email,
        roles: input.roles,
        ...(input.entraObjectId ? { entraObjectId: input.entraObjectId } : {}),
        ...(input.googleSubject ? { googleSubject: input.googleSubject } : {}),
      },
    });
    res.status(created ? 201 : 200).json(personView(person));
  });

  router.put('/people/:personId/roles/:role', async (req, res) => {
    const actor = actorOf(res);
    const params = validate(roleParamsSchema, req.params, 'path');
    res.json(personView(await grantRole(deps, { actor, schoolId: actor.schoolId, ...params })));
  });

  router.delete('/people/:personId/roles/:role', async (req, res) => {
    const actor = actorOf(res);
    const params = validate(roleParamsSchema, req.params, 'path');
    res.json(personView(await revokeRole(deps, { actor, schoolId: actor.schoolId, ...params })));
  });

  return router;
}
