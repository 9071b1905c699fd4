import { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import { searchStaff } from '../../app/people/search-staff.ts';
import { AppError } from '../../domain/errors.ts';
import { addPerson } from '../../app/people/add-person.ts';
import type { AppDeps } from '../../app/deps.ts';
import { findPeople } from '../../app/people/find-people.ts';
import { grantRole, revokeRole } from '../../app/people/grant-role.ts';
import type { PersonWithRoles } from '../../domain/ports.ts';
import { personInputSchema, roleParamsSchema, staffSearchQuerySchema } from '../schemas.ts';
import { validate } from '../validate.ts';
import { actorOf } from '../request-context.ts';

/** Searches one person may make in a minute: plenty to type a name, too few to walk the directory. */
export const STAFF_SEARCHES_PER_MINUTE = 30;

function personView(person: PersonWithRoles) {
  return { id: person.id, displayName: person.displayName, email: person.email, roles: person.roles, active: person.active };
}

/** The school's people and roles, for its DSL Desk administrators. */
export function peopleRoutes(deps: AppDeps): Router {
  const router = Router();

  // "Who is the allegation about?": names and ids of the reporter's own school, and slowly, so the
  // search cannot be used to read out the school's directory.
  const searchLimit = rateLimit({
    windowMs: 60_000,
    limit: STAFF_SEARCHES_PER_MINUTE,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (_req, res) => {
      const actor = actorOf(res);
      return `staff-search:${actor.schoolId}:${actor.personId}`;
    },
    handler: (_req, _res, next) => next(new AppError('rate_limited', 'Too many searches. Wait a minute and search again; what you typed in your report is kept.')),
  });
  router.get('/people/search', searchLimit, async (req, res) => {
    const actor = actorOf(res);
    const query = validate(staffSearchQuerySchema, req.query, 'query');
    res.json({ people: await searchStaff(deps, { actor, query: query.q }) });
  });

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
