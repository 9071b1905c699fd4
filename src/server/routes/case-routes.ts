import { Router, type Request } from 'express';
import { acknowledgeCase } from '../../app/acknowledge-case.ts';
import { addCaseNote } from '../../app/add-case-note.ts';
import { assignCase } from '../../app/assign-case.ts';
import { changeCaseTypes } from '../../app/change-case-types.ts';
import { changeCaseUrgency } from '../../app/change-case-urgency.ts';
import { closeCase } from '../../app/close-case.ts';
import type { AppDeps } from '../../app/deps.ts';
import { escalateCase } from '../../app/escalate-case.ts';
import { findCases } from '../../app/find-cases.ts';
import { findCaseIdByReference, getCase } from '../../app/get-case.ts';
import { liftLegalHold } from '../../app/lift-legal-hold.ts';
import { placeLegalHold } from '../../app/place-legal-hold.ts';
import { recordActionTaken } from '../../app/record-action-taken.ts';
import { reopenCase } from '../../app/reopen-case.ts';
import { tickProtocolStep } from '../../app/tick-protocol-step.ts';
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
    switch (body.action) {
      case 'acknowledge':
        await acknowledgeCase(deps, target);
        break;
      case 'assign':
        await assignCase(deps, { ...target, assigneeId: body.assigneeId });
        break;
      case 'note':
        await addCaseNote(deps, { ...target, text: body.text });
        break;
      case 'tick_step':
        await tickProtocolStep(deps, { ...target, step: body.step });
        break;
      case 'escalate':
        await escalateCase(deps, { ...target, agency: body.agency, ...(body.reference ? { reference: body.reference } : {}) });
        break;
      case 'change_urgency':
        await changeCaseUrgency(deps, { ...target, urgency: body.urgency, reason: body.reason });
        break;
      case 'record_action':
        await recordActionTaken(deps, { ...target, action: body.actionTaken });
        break;
      case 'close':
        await closeCase(deps, { ...target, outcome: body.outcome });
        break;
      case 'reopen':
        await reopenCase(deps, { ...target, reason: body.reason });
        break;
      case 'change_types':
        await changeCaseTypes(deps, { ...target, types: body.types, reason: body.reason });
        break;
      case 'place_legal_hold':
        await placeLegalHold(deps, { ...target, reason: body.reason });
        break;
      case 'lift_legal_hold':
        await liftLegalHold(deps, target);
        break;
    }
    res.set('Cache-Control', 'no-store').json(await getCase(deps, target));
  });

  return router;
}
