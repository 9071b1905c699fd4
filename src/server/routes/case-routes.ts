import { Router, type Request } from 'express';
import type { AppDeps } from '../../app/deps.ts';
import { performCaseAction } from '../../app/cases/perform-case-action.ts';
import { findCases } from '../../app/cases/find-cases.ts';
import { findCaseIdByReference, getCase } from '../../app/cases/get-case.ts';
import { notFound } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import { caseActionSchema, caseQuerySchema } from '../schemas.ts';
import { validate } from '../validate.ts';
import { actorOf } from '../request-context.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REFERENCE = /^CASE-\d{4}-\d{4,}$/i;

/** A case is addressed by its id or by its human reference (CASE-2026-0042). */
async function caseIdFrom(deps: AppDeps, actor: Actor, req: Request): Promise<string> {
  const given = String(req.params.caseId ?? '');
  if (UUID.test(given)) return given.toLowerCase();
  if (REFERENCE.test(given)) return findCaseIdByReference(deps, { actor, reference: given });
  throw notFound('That case');
}

/** Case routes for the DSL roles (and IT, for email-security cases). */
export function caseRoutes(deps: AppDeps): Router {
  const router = Router();

  router.get('/cases', async (req, res) => {
    const actor = actorOf(res);
    const query = validate(caseQuerySchema, req.query, 'query');
    const [createdAt, id] = query.before ? query.before.split('|') : [];
    const page = await findCases(deps, {
      actor,
      filter: {
        limit: query.limit,
        ...(query.status ? { statuses: query.status } : {}),
        ...(query.urgency ? { urgencies: query.urgency } : {}),
        ...(query.type ? { type: query.type } : {}),
        ...(query.assignee ? { assigneeId: query.assignee } : {}),
        ...(createdAt && id ? { before: { createdAt, id } } : {}),
      },
    });
    res.json({
      cases: page.cases.map(({ schoolId: _school, subjectPersonId: _subject, version: _version, ...header }) => header),
      ...(page.next ? { next: `${page.next.createdAt}|${page.next.id}` } : {}),
    });
  });

  router.get('/cases/:caseId', async (req, res) => {
    const actor = actorOf(res);
    const view = await getCase(deps, { actor, caseId: await caseIdFrom(deps, actor, req) });
    // Case detail is special-category data: never cached by a browser or a proxy.
    res.set('Cache-Control', 'no-store').json(view);
  });

  router.post('/cases/:caseId/actions', async (req, res) => {
    const actor = actorOf(res);
    const caseId = await caseIdFrom(deps, actor, req);
    const body = validate(caseActionSchema, req.body, 'body');
    const target = { actor, caseId };
    await performCaseAction(deps, { ...target, command: body });
    res.set('Cache-Control', 'no-store').json(await getCase(deps, target));
  });

  return router;
}
