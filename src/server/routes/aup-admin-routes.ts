import { Router } from 'express';
import type { AppDeps } from '../../app/deps.ts';
import { aupStatusCsv, getAupStatus, getCampaignProgress } from '../../app/aup/get-aup-status.ts';
import { getAupSettings, setAupProfile, updateAupSettings } from '../../app/aup/manage-aup-settings.ts';
import { startAupCampaign } from '../../app/aup/start-aup-campaign.ts';
import { addNewStarter } from '../../app/aup/welcome-new-starter.ts';
import { AUP_AUDIENCES, type AupAudience } from '../../domain/aup.ts';
import { AppError } from '../../domain/errors.ts';
import { actorOf } from '../request-context.ts';

function audienceParam(value: unknown): AupAudience | undefined {
  if (value === undefined || value === '') return undefined;
  if (typeof value === 'string' && (AUP_AUDIENCES as readonly string[]).includes(value)) return value as AupAudience;
  throw new AppError('invalid_input', `audience must be one of: ${AUP_AUDIENCES.join(', ')}`, { fields: [{ path: 'audience', message: `Must be one of: ${AUP_AUDIENCES.join(', ')}` }] });
}

/**
 * Running the school's policy sign-off: new starters, who has signed (JSON or CSV for the auditor),
 * campaigns and their progress, and the settings behind audiences, reminders and deadlines.
 */
export function aupAdminRoutes(deps: AppDeps): Router {
  const router = Router();

  router.post('/aup/new-starters', async (req, res) => {
    const actor = actorOf(res);
    res.status(201).json(await addNewStarter(deps, { actor, schoolId: actor.schoolId, input: req.body }));
  });

  router.get('/aup/status', async (req, res) => {
    const actor = actorOf(res);
    const audience = audienceParam(req.query.audience);
    const asCsv = req.query.format === 'csv' || req.accepts(['application/json', 'text/csv']) === 'text/csv';
    const status = await getAupStatus(deps, { actor, schoolId: actor.schoolId, ...(audience ? { audience } : {}), onlyUnsigned: req.query.unsigned === 'true' || req.query.unsigned === '1', via: asCsv ? 'api_csv' : 'api' });
    res.set('Cache-Control', 'no-store');
    if (asCsv) {
      res
        .set('Content-Type', 'text/csv; charset=utf-8')
        .set('Content-Disposition', `attachment; filename="aup-status-${status.cycle}.csv"`)
        .send(`\uFEFF${aupStatusCsv(status)}`);
      return;
    }
    res.json(status);
  });

  router.get('/aup/campaigns', async (_req, res) => {
    const actor = actorOf(res);
    res.json({ campaigns: await getCampaignProgress(deps, { actor, schoolId: actor.schoolId }) });
  });

  router.get('/aup/campaigns/:campaignId', async (req, res) => {
    const actor = actorOf(res);
    const [progress] = await getCampaignProgress(deps, { actor, schoolId: actor.schoolId, campaignId: String(req.params.campaignId) });
    res.json(progress);
  });

  router.post('/aup/campaigns', async (req, res) => {
    const actor = actorOf(res);
    const policyId = (req.body as { policyId?: unknown } | undefined)?.policyId;
    if (typeof policyId !== 'string' || !policyId) throw new AppError('invalid_input', 'Say which policy version the campaign is for (policyId).', { fields: [{ path: 'policyId', message: 'Required.' }] });
    const result = await startAupCampaign(deps, { actor, schoolId: actor.schoolId, policyId });
    res.status(result.created ? 201 : 200).json(result);
  });

  router.get('/aup/settings', async (_req, res) => {
    const actor = actorOf(res);
    res.json(await getAupSettings(deps, { actor, schoolId: actor.schoolId }));
  });

  router.put('/aup/settings', async (req, res) => {
    const actor = actorOf(res);
    res.json(await updateAupSettings(deps, { actor, schoolId: actor.schoolId, settings: req.body }));
  });

  router.put('/aup/people/:personId/profile', async (req, res) => {
    const actor = actorOf(res);
    res.json(await setAupProfile(deps, { actor, schoolId: actor.schoolId, personId: String(req.params.personId), changes: req.body }));
  });

  return router;
}
