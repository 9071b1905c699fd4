import { Router } from 'express';
import QRCode from 'qrcode';
import { createSigningLink } from '../../app/aup/create-signing-link.ts';
import type { AppDeps } from '../../app/deps.ts';
import { listSigningLinks } from '../../app/aup/list-signing-links.ts';
import { AppError } from '../../domain/errors.ts';
import { actorOf } from '../request-context.ts';

/** A QR code of the link as SVG, named for screen readers, for the office to show or print at reception. */
export async function signingLinkQrSvg(url: string): Promise<string> {
  const svg = await QRCode.toString(url, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return svg.replace(/^<svg /, '<svg role="img" aria-label="QR code of the signing link" ');
}

/**
 * One-time signing links over the API, for the school's admins, head and DSL: make one (with its QR code:
 * the token is never stored, so this answer is the only chance to have either) and list them.
 */
export function aupLinkRoutes(deps: AppDeps, options: { publicUrl?: string }): Router {
  const router = Router();

  router.post('/aup/links', async (req, res) => {
    if (!options.publicUrl) throw new AppError('unavailable', 'Signing links need the address people reach DSL Desk at. Ask your DSL Desk operator to set PUBLIC_BASE_URL.');
    const actor = actorOf(res);
    const { link, url } = await createSigningLink(deps, { actor, schoolId: actor.schoolId, input: req.body, publicUrl: options.publicUrl });
    res
      .status(201)
      .set('Cache-Control', 'no-store')
      .json({ id: link.id, audience: link.audience, intendedFor: link.intendedFor, email: link.email, url, expiresAt: link.expiresAt, qrSvg: await signingLinkQrSvg(url) });
  });

  router.get('/aup/links', async (_req, res) => {
    res.json({ links: await listSigningLinks(deps, { actor: actorOf(res) }) });
  });

  return router;
}
