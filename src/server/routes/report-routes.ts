import { Router } from 'express';
import type { AppDeps } from '../../app/deps.ts';
import { listMyReports } from '../../app/cases/list-my-reports.ts';
import { chooseReportSchool } from '../../app/cases/choose-report-school.ts';
import { reportConcern } from '../../app/cases/report-concern.ts';
import { INCIDENT_TYPES, PROTOCOLS, ESCALATION_AGENCIES, ACTIONS_TAKEN } from '../../domain/incident-types.ts';
import { invalidInput } from '../../domain/errors.ts';
import { idempotencyKeySchema, reportRequestSchema } from '../schemas.ts';
import { validate } from '../validate.ts';
import { actorOf } from '../request-context.ts';

/** Routes every member of staff uses: filing a report, following their own reports, and the form's lists. */
export function reportRoutes(deps: AppDeps): Router {
  const router = Router();

  router.get('/me', (_req, res) => {
    const actor = actorOf(res);
    res.json({ personId: actor.personId, schoolId: actor.schoolId, displayName: actor.displayName, roles: actor.roles });
  });

  router.get('/incident-types', (_req, res) => {
    res.json({ incidentTypes: INCIDENT_TYPES, protocols: Object.values(PROTOCOLS), escalationAgencies: ESCALATION_AGENCIES, actionsTaken: ACTIONS_TAKEN });
  });

  router.post('/reports', async (req, res) => {
    const body = validate(reportRequestSchema, req.body, 'body');
    const actor = await chooseReportSchool(deps, actorOf(res), body.schoolId);
    const header = req.get('Idempotency-Key');
    const headerKey = header === undefined ? undefined : validate(idempotencyKeySchema, header, 'Idempotency-Key header');
    if (headerKey && body.idempotencyKey && headerKey !== body.idempotencyKey) {
      throw invalidInput('The Idempotency-Key header and the idempotencyKey field disagree: send one of them.', [{ path: 'idempotencyKey', message: 'Must match the Idempotency-Key header.' }]);
    }
    const idempotencyKey = headerKey ?? body.idempotencyKey;
    const receipt = await reportConcern(deps, {
      actor,
      concern: body.concern,
      channel: body.channel,
      ...(body.source ? { source: body.source } : {}),
      ...(idempotencyKey ? { idempotencyKey } : {}),
      ...(body.children?.length ? { children: body.children } : {}),
    });
    res.status(receipt.duplicate ? 200 : 201).json(receipt);
  });

  router.get('/reports/mine', async (_req, res) => {
    res.json({ reports: await listMyReports(deps, { actor: actorOf(res) }) });
  });

  return router;
}
