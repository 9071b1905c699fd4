import { Router } from 'express';
import type { AppDeps } from '../../app/deps.ts';
import { listAccessEvents } from '../../app/cases/list-access-events.ts';
import { accessQuerySchema } from '../schemas.ts';
import { validate } from '../validate.ts';
import { actorOf } from '../request-context.ts';

/** The access log: who opened what, by case, person and date (DSL and headteacher). */
export function auditRoutes(deps: AppDeps): Router {
  const router = Router();

  router.get('/audit/access', async (req, res) => {
    const actor = actorOf(res);
    const query = validate(accessQuerySchema, req.query, 'query');
    const list = await listAccessEvents(deps, {
      actor,
      schoolId: actor.schoolId,
      filter: {
        limit: query.limit,
        ...(query.case ? { caseReference: query.case } : {}),
        ...(query.person ? { personEmail: query.person } : {}),
        ...(query.since ? { since: query.since } : {}),
        ...(query.until ? { until: query.until } : {}),
      },
    });
    res.json(list);
  });

  return router;
}
