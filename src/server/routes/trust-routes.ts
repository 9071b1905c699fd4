import { Router } from 'express';
import type { AppDeps } from '../../app/deps.ts';
import { getTrustFigures } from '../../app/organisations/get-trust-figures.ts';
import { trustParamsSchema } from '../schemas.ts';
import { validate } from '../validate.ts';
import { actorOf } from '../request-context.ts';

/** Cross-school views for a trust's or local authority's roles. */
export function trustRoutes(deps: AppDeps): Router {
  const router = Router();

  router.get('/trusts/:trust/figures', async (req, res) => {
    const { trust } = validate(trustParamsSchema, req.params, 'path');
    res.json(await getTrustFigures(deps, { actor: actorOf(res), trust }));
  });

  return router;
}
