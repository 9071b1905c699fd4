import { Router, type Request } from 'express';
import type { AppDeps } from '../../app/deps.ts';
import { findCaseIdByReference } from '../../app/cases/get-case.ts';
import { acknowledgePupilPattern } from '../../app/pupils/acknowledge-pupil-pattern.ts';
import { endProtectionStatus } from '../../app/pupils/end-protection-status.ts';
import { getPupilChronology } from '../../app/pupils/get-pupil-chronology.ts';
import { linkCaseChild } from '../../app/pupils/link-case-child.ts';
import { mergePupils } from '../../app/pupils/merge-pupils.ts';
import { readPupilPatternRule } from '../../app/pupils/read-pupil-pattern-rule.ts';
import { recordProtectionStatus } from '../../app/pupils/record-protection-status.ts';
import { setPupilPatternRule } from '../../app/pupils/set-pupil-pattern-rule.ts';
import { unlinkCaseChild } from '../../app/pupils/unlink-case-child.ts';
import type { StoredCaseChild, StoredProtectionStatus } from '../../domain/case-children.ts';
import { notFound } from '../../domain/errors.ts';
import type { Actor } from '../../domain/roles.ts';
import {
  caseChildParamsSchema,
  endProtectionStatusRequestSchema,
  linkCaseChildSchema,
  mergePupilsSchema,
  protectionStatusParamsSchema,
  protectionStatusRequestSchema,
  pupilParamsSchema,
  pupilPatternParamsSchema,
  pupilPatternRuleRequestSchema,
  unlinkCaseChildSchema,
} from '../schemas.ts';
import { validate } from '../validate.ts';
import { actorOf } from '../request-context.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const REFERENCE = /^CASE-\d{4}-\d{4,}$/i;

async function caseIdFrom(deps: AppDeps, actor: Actor, req: Request): Promise<string> {
  const given = String(req.params.caseId ?? '');
  if (UUID.test(given)) return given.toLowerCase();
  if (REFERENCE.test(given)) return findCaseIdByReference(deps, { actor, reference: given });
  throw notFound('That case');
}

/** A link as the API answers it: the typed name and reasons stay on the case view, for the DSLs. */
function linkView(child: StoredCaseChild) {
  return {
    id: child.id,
    caseId: child.caseId,
    role: child.role,
    ...(child.pupilId ? { pupilId: child.pupilId } : {}),
    toLink: !child.pupilId && !child.unlinkedAt,
    linkedAt: child.linkedAt,
    ...(child.unlinkedAt ? { unlinkedAt: child.unlinkedAt } : {}),
  };
}

function statusView({ schoolId: _school, ...status }: StoredProtectionStatus) {
  return status;
}

/**
 * The pupils' side of cases, for the DSLs, deputies and the head: a child's chronology, children on a case, merging
 * two records of one child, protection statuses, pattern cards and the school's pattern rule. Safeguarding data:
 * never cached.
 */
export function pupilCaseRoutes(deps: AppDeps): Router {
  const router = Router();
  router.use(['/pupils', '/cases', '/pupil-patterns', '/pupil-pattern-rule'], (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  });

  router.get('/pupils/:pupilId/chronology', async (req, res) => {
    const { pupilId } = validate(pupilParamsSchema, req.params, 'path');
    res.json(await getPupilChronology(deps, { actor: actorOf(res), pupilId }));
  });

  router.post('/cases/:caseId/children', async (req, res) => {
    const actor = actorOf(res);
    const caseId = await caseIdFrom(deps, actor, req);
    const body = validate(linkCaseChildSchema, req.body, 'body');
    const linked = await linkCaseChild(deps, { actor, caseId, pupilId: body.pupilId, reason: body.reason, ...(body.childId ? { childId: body.childId } : {}), ...(body.role ? { role: body.role } : {}) });
    res.status(body.childId ? 200 : 201).json({ child: linkView(linked) });
  });

  router.delete('/cases/:caseId/children/:childId', async (req, res) => {
    const actor = actorOf(res);
    const { childId } = validate(caseChildParamsSchema, req.params, 'path');
    const caseId = await caseIdFrom(deps, actor, req);
    const body = validate(unlinkCaseChildSchema, req.body, 'body');
    res.json({ child: linkView(await unlinkCaseChild(deps, { actor, caseId, childId, reason: body.reason })) });
  });

  router.post('/pupils/:pupilId/merge', async (req, res) => {
    const { pupilId } = validate(pupilParamsSchema, req.params, 'path');
    const body = validate(mergePupilsSchema, req.body, 'body');
    res.json(await mergePupils(deps, { actor: actorOf(res), keepPupilId: pupilId, mergePupilId: body.mergePupilId, reason: body.reason }));
  });

  router.post('/pupils/:pupilId/protection-statuses', async (req, res) => {
    const { pupilId } = validate(pupilParamsSchema, req.params, 'path');
    const status = validate(protectionStatusRequestSchema, req.body, 'body');
    res.status(201).json({ status: statusView(await recordProtectionStatus(deps, { actor: actorOf(res), pupilId, status })) });
  });

  router.patch('/pupils/:pupilId/protection-statuses/:statusId', async (req, res) => {
    const { statusId } = validate(protectionStatusParamsSchema, req.params, 'path');
    const end = validate(endProtectionStatusRequestSchema, req.body, 'body');
    res.json({ status: statusView(await endProtectionStatus(deps, { actor: actorOf(res), statusId, end })) });
  });

  router.post('/pupil-patterns/:alertId/acknowledge', async (req, res) => {
    const { alertId } = validate(pupilPatternParamsSchema, req.params, 'path');
    const alert = await acknowledgePupilPattern(deps, { actor: actorOf(res), alertId });
    res.json({ alert: { id: alert.id, pupilId: alert.pupilId, reason: alert.reason, caseIds: alert.caseIds, createdAt: alert.createdAt, acknowledgedBy: alert.acknowledgedBy, acknowledgedAt: alert.acknowledgedAt } });
  });

  router.get('/pupil-pattern-rule', async (_req, res) => {
    res.json({ rule: await readPupilPatternRule(deps, { actor: actorOf(res) }) });
  });

  router.put('/pupil-pattern-rule', async (req, res) => {
    const actor = actorOf(res);
    const rule = validate(pupilPatternRuleRequestSchema, req.body, 'body');
    res.json({ rule: await setPupilPatternRule(deps, { actor, schoolId: actor.schoolId, rule }) });
  });

  return router;
}
