import { Router } from 'express';
import { acknowledgeAup } from '../../app/aup/acknowledge-aup.ts';
import type { AppDeps } from '../../app/deps.ts';
import { getMySignature } from '../../app/aup/get-my-signature.ts';
import { getSignatureForCertificate } from '../../app/aup/get-signature-certificate.ts';
import { publishAup } from '../../app/aup/publish-aup.ts';
import { getAupPolicy, listAupPolicies } from '../../app/aup/read-aup-policies.ts';
import { renderSignatureCertificate } from '../../documents/signature-certificate.ts';
import type { SigningSurface } from '../../domain/aup.ts';
import type { SignedInIdentity } from '../../domain/identity.ts';
import { actorOf, identityOf } from '../request-context.ts';

/** Sent by the policy page when it signs from inside Teams (a tab or stage view, with Teams SSO). */
const SURFACE_HEADER = 'x-dsl-desk-surface';

/**
 * Where a signature given over the API was given. The header is the client's own claim, so it is only
 * believed together with an Entra token: inside Teams the policy page signs with the token Teams SSO gave
 * it, and Teams SSO only ever gives Entra tokens, so the header beside a Google token is not a signature
 * given in Teams. The surface records how someone signed; who signed is proven by the token alone.
 */
function apiSurface(header: string | undefined, identity: SignedInIdentity): SigningSurface {
  return header === 'teams-tab' && identity.provider === 'entra' ? 'teams' : 'web';
}

/**
 * Acceptable use policies over the API: the school's admins, head and DSL publish versions; everyone reads
 * them, sees whether they have signed one and signs the current one; the signer and the admins download a
 * signature's certificate.
 */
export function aupRoutes(deps: AppDeps): Router {
  const router = Router();

  router.post('/aup/policies', async (req, res) => {
    const actor = actorOf(res);
    res.status(201).json(await publishAup(deps, { actor, schoolId: actor.schoolId, policy: req.body }));
  });

  router.get('/aup/policies', async (_req, res) => {
    res.json({ policies: await listAupPolicies(deps, { actor: actorOf(res) }) });
  });

  router.get('/aup/policies/:policyId', async (req, res) => {
    res.json(await getAupPolicy(deps, { actor: actorOf(res), policyId: String(req.params.policyId) }));
  });

  router.get('/aup/policies/:policyId/my-signature', async (req, res) => {
    res.set('Cache-Control', 'no-store').json(await getMySignature(deps, { actor: actorOf(res), policyId: String(req.params.policyId) }));
  });

  router.post('/aup/policies/:policyId/acknowledgements', async (req, res) => {
    const actor = actorOf(res);
    const identity = identityOf(res);
    const { acknowledgement, alreadySigned } = await acknowledgeAup(deps, {
      actor,
      policyId: String(req.params.policyId),
      signature: req.body,
      surface: apiSurface(req.get(SURFACE_HEADER), identity),
      ...(identity.provider !== 'sandbox'
        ? { directoryIdentity: { provider: identity.provider, tenantId: identity.tenantId, objectId: identity.subject, ...(identity.email ? { userPrincipalName: identity.email } : {}) } }
        : {}),
      ...(req.ip ? { ipAddress: req.ip } : {}),
      ...(req.get('user-agent') ? { userAgent: req.get('user-agent')! } : {}),
    });
    res.status(alreadySigned ? 200 : 201).json({ acknowledgement, alreadySigned });
  });

  router.get('/aup/policies/:policyId/acknowledgements/:acknowledgementId/certificate.pdf', async (req, res) => {
    const facts = await getSignatureForCertificate(deps, { actor: actorOf(res), policyId: String(req.params.policyId), acknowledgementId: String(req.params.acknowledgementId) });
    const pdf = await renderSignatureCertificate(facts);
    res
      .set('Cache-Control', 'no-store')
      .set('Content-Type', 'application/pdf')
      .set('Content-Disposition', `attachment; filename="aup-signature-${facts.acknowledgement.id}.pdf"`)
      .send(Buffer.from(pdf));
  });

  return router;
}
