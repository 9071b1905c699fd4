import express, { Router } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { AppDeps } from '../../app/deps.ts';
import { getPupil } from '../../app/pupils/get-pupil.ts';
import { importPupils } from '../../app/pupils/import-pupils.ts';
import { searchPupils } from '../../app/pupils/search-pupils.ts';
import { AppError } from '../../domain/errors.ts';
import type { Pupil } from '../../domain/pupil.ts';
import { readPupilFile } from '../../integrations/pupil-files/read-pupil-file.ts';
import { actorOf } from '../request-context.ts';
import { pupilParamsSchema, pupilSearchQuerySchema } from '../schemas.ts';
import { validate } from '../validate.ts';

/** Searches one person may make in a minute: plenty to type a name, too few to read out the school roll. */
export const PUPIL_SEARCHES_PER_MINUTE = 60;
/** A large secondary school's CTF is a few megabytes. */
export const PUPIL_FILE_MAX_BYTES = 20 * 1024 * 1024;

const XML_TYPES = ['text/xml', 'application/xml'];
const CSV_TYPES = ['text/csv'];

function pupilView(pupil: Pupil) {
  const { schoolId: _school, ...view } = pupil;
  return view;
}

/** The pupil register: the child picker's search (any member of staff), a pupil's record and the MIS import. */
export function pupilRoutes(deps: AppDeps): Router {
  const router = Router();

  const searchLimit = rateLimit({
    windowMs: 60_000,
    limit: PUPIL_SEARCHES_PER_MINUTE,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (_req, res) => {
      const actor = actorOf(res);
      return `pupil-search:${actor.schoolId}:${actor.personId}`;
    },
    handler: (_req, _res, next) => next(new AppError('rate_limited', 'Too many searches. Wait a minute and search again; what you typed in your report is kept.')),
  });
  router.get('/pupils/search', searchLimit, async (req, res) => {
    const actor = actorOf(res);
    const query = validate(pupilSearchQuerySchema, req.query, 'query');
    res.json({ pupils: await searchPupils(deps, { actor, query: query.q }) });
  });

  // The file itself, as the MIS exported it: a CTF (text/xml) or a CSV (text/csv), UTF-8.
  const readFile = express.text({ type: [...XML_TYPES, ...CSV_TYPES], limit: PUPIL_FILE_MAX_BYTES, defaultCharset: 'utf-8' });
  router.post('/pupils/import', readFile, async (req, res) => {
    const actor = actorOf(res);
    if (typeof req.body !== 'string') throw new AppError('unsupported_media_type', 'Send the Common Transfer File as text/xml, or the CSV as text/csv.');
    const file = readPupilFile(req.body, req.is(XML_TYPES) ? 'xml' : 'csv');
    res.json(await importPupils(deps, { actor, schoolId: actor.schoolId, file }));
  });

  router.get('/pupils/:pupilId', async (req, res) => {
    const actor = actorOf(res);
    const { pupilId } = validate(pupilParamsSchema, req.params, 'path');
    res.json(pupilView(await getPupil(deps, { actor, pupilId })));
  });

  return router;
}
