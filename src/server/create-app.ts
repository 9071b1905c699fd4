import { randomUUID } from 'node:crypto';
import express, { type ErrorRequestHandler, type RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { AppDeps } from '../app/deps.ts';
import { trustRoutes } from './routes/trust-routes.ts';
import { resolveActor } from '../app/people/resolve-actor.ts';
import { AppError, isAppError } from '../domain/errors.ts';
import type { Authenticate } from '../identity/authenticate-request.ts';
import { SANDBOX_SCHOOL_HEADER, SANDBOX_USER_HEADER } from '../identity/authenticate-request.ts';
import type { Logger } from '../logger.ts';
import { API_BODY_MESSAGES, bodyReadError } from './body-errors.ts';
import { buildOpenApiDocument } from './openapi.ts';
import { auditRoutes } from './routes/audit-routes.ts';
import { pupilCaseRoutes } from './routes/pupil-case-routes.ts';
import { caseRoutes } from './routes/case-routes.ts';
import { aupRoutes } from './routes/aup-routes.ts';
import { aupLinkRoutes } from './routes/aup-link-routes.ts';
import { aupAdminRoutes } from './routes/aup-admin-routes.ts';
import { aupPages } from './routes/aup-pages.ts';
import { emailReportRoutes } from './routes/email-report-routes.ts';
import { infoPages } from './routes/info-pages.ts';
import { addinPages, type AddinPreparer } from './routes/addin-pages.ts';
import { peopleRoutes } from './routes/people-routes.ts';
import { pupilRoutes } from './routes/pupil-routes.ts';
import { reportRoutes } from './routes/report-routes.ts';
import { actorOf } from './request-context.ts';

export interface AppOptions {
  deps: AppDeps;
  authenticate: Authenticate;
  logger: Logger;
  bodyLimit: string;
  rateLimitPerMinute: number;
  trustProxy?: string;
  emailReports: { maxBytes: number; retentionDays: number };
  /** The built Outlook add-in, served at /addin/outlook/ once present (checked on each request). */
  addinBuildDir?: string;
  /** Builds the add-in in the background when it is missing. */
  addinPreparer?: AddinPreparer;
  /** Where people reach DSL Desk (config.publicUrl): signing links point here. */
  publicUrl?: string;
  /** Signs the addresses of read-only policy pages (config.pageLinkKey). */
  pageLinkKey?: Uint8Array;
  /** Other surfaces' endpoints (the Teams bot's /api/messages), mounted with their own authentication. */
  mount?: (app: express.Express) => void;
}

/** The HTTP edge: translates requests into use-case calls and results (or errors) into JSON. */
export function createApp(options: AppOptions): express.Express {
  const { deps, logger } = options;
  const app = express();
  app.disable('x-powered-by');
  if (options.trustProxy) app.set('trust proxy', options.trustProxy);
  app.use(helmet());

  app.use((req, res, next) => {
    const requestId = randomUUID();
    const started = process.hrtime.bigint();
    res.locals.requestId = requestId;
    res.set('X-Request-Id', requestId);
    res.on('finish', () => {
      // Method, route and status only: no bodies, no query strings, no headers.
      logger.info({ requestId, method: req.method, path: req.route?.path ?? req.path.split('/').slice(0, 4).join('/'), status: res.statusCode, ms: Number(process.hrtime.bigint() - started) / 1e6 }, 'request');
    });
    next();
  });

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/readyz', async (_req, res) => {
    try {
      await deps.storage.ping();
      res.json({ status: 'ready', database: deps.storage.engine });
    } catch (error) {
      res.set('Retry-After', String(isAppError(error) && error.retryAfterSeconds !== undefined ? error.retryAfterSeconds : 30));
      res.status(503).json({ status: 'unavailable', database: deps.storage.engine });
    }
  });
  app.use(infoPages());
  if (options.addinBuildDir) app.use(addinPages(options.addinBuildDir, options.addinPreparer ? { preparer: options.addinPreparer } : {}));
  // Pages for people without an account (signing links) and for policy links on cards: no sign-in, their own headers.
  app.use(aupPages(deps, { logger, ...(options.pageLinkKey ? { pageLinkKey: options.pageLinkKey } : {}) }));
  const openApi = buildOpenApiDocument();
  app.get('/api/v1/openapi.json', (_req, res) => {
    res.json(openApi);
  });

  const authenticate: RequestHandler = async (req, res, next) => {
    const identity = await options.authenticate({
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
      ...(req.get(SANDBOX_USER_HEADER) !== undefined ? { sandboxUser: req.get(SANDBOX_USER_HEADER) } : {}),
      ...(req.get(SANDBOX_SCHOOL_HEADER) !== undefined ? { sandboxSchool: req.get(SANDBOX_SCHOOL_HEADER) } : {}),
      ...(req.socket.remoteAddress ? { remoteAddress: req.socket.remoteAddress } : {}),
    });
    res.locals.identity = identity;
    res.locals.actor = await resolveActor(deps, identity);
    next();
  };

  const perIdentityLimit = rateLimit({
    windowMs: 60_000,
    limit: options.rateLimitPerMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // Schools sit behind one NAT address, so limits follow the signed-in person, not the IP.
    keyGenerator: (_req, res) => {
      const actor = actorOf(res);
      return `${actor.schoolId}:${actor.personId}`;
    },
    handler: (_req, _res, next) => next(new AppError('rate_limited', 'Too many requests. Wait a minute and try again; nothing you sent was lost.')),
  });

  const api = express.Router();
  // Every answer behind sign-in is about a person or a school, errors included: never kept by a browser or proxy.
  const noStore: RequestHandler = (_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    next();
  };
  api.use(noStore, authenticate, perIdentityLimit, express.json({ limit: options.bodyLimit, type: ['application/json', 'application/*+json'] }));
  api.use(reportRoutes(deps), emailReportRoutes(deps, options.emailReports), caseRoutes(deps), pupilCaseRoutes(deps), auditRoutes(deps), peopleRoutes(deps), pupilRoutes(deps), trustRoutes(deps), aupRoutes(deps), aupAdminRoutes(deps), aupLinkRoutes(deps, { ...(options.publicUrl ? { publicUrl: options.publicUrl } : {}) }));
  app.use('/api/v1', api);
  options.mount?.(app);

  app.use((_req, _res, next) => next(new AppError('not_found', 'There is nothing at this address. The API is under /api/v1; see /api/v1/openapi.json.')));

  const handleError: ErrorRequestHandler = (error: unknown, _req, res, _next) => {
    const requestId = res.locals.requestId as string | undefined;
    const appError = toAppError(error);
    if (appError.httpStatus >= 500) {
      // The stack helps us; the message of an unexpected error is never sent to the client.
      // For a database fault, the driver's own error (disk full, connection reset) is the one worth reading.
      const cause = appError.code === 'unavailable' ? (appError.cause as { name?: unknown; code?: unknown; message?: unknown } | undefined) : undefined;
      logger.error(
        { requestId, err: { type: (error as Error)?.name, message: (error as Error)?.message, stack: (error as Error)?.stack }, ...(cause ? { cause: { type: cause.name, code: cause.code, message: cause.message } } : {}) },
        'request failed',
      );
    } else if (appError.code === 'unauthenticated' || appError.code === 'forbidden') {
      logger.warn({ requestId, code: appError.code, reason: appError.message }, 'request refused');
    }
    if (res.headersSent) return;
    if (appError.code === 'unauthenticated') res.set('WWW-Authenticate', 'Bearer');
    if (appError.retryAfterSeconds !== undefined) res.set('Retry-After', String(appError.retryAfterSeconds));
    res.status(appError.httpStatus).json({
      error: { code: appError.code, message: appError.userMessage, ...(appError.fields.length ? { fields: appError.fields } : {}), ...(requestId ? { requestId } : {}) },
    });
  };
  app.use(handleError);
  return app;
}

/** Errors from body parsing and elsewhere, turned into our one error type. */
function toAppError(error: unknown): AppError {
  if (isAppError(error)) return error;
  return (
    bodyReadError(error, API_BODY_MESSAGES) ??
    new AppError('internal', 'Something went wrong on our side and nothing was saved. Please try again; if it keeps happening, tell your DSL in person.', { cause: error })
  );
}
