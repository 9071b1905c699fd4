import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { Router, type ErrorRequestHandler, type Request, type Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { AppDeps } from '../../app/deps.ts';
import { openPolicyPage } from '../../app/aup/open-policy-page.ts';
import { openSigningLink, signingLinkProblemOf, signWithLink, type SigningLinkProblem } from '../../app/aup/sign-with-link.ts';
import { AppError, isAppError, type FieldIssue } from '../../domain/errors.ts';
import type { Logger } from '../../logger.ts';
import { bodyReadError } from '../body-errors.ts';
import { AUP_ASSET_PATHS, policyPage, problemPage, signedPage, signingPage, type SigningFormValues } from '../aup-page-html.ts';

/** Where Teams may show the read-only policy page (a stage view or tab on the web, desktop and mobile). */
const TEAMS_FRAME_ANCESTORS = ["'self'", 'https://teams.microsoft.com', 'https://*.teams.microsoft.com', 'https://*.cloud.microsoft', 'https://*.office.com'];

/** Nothing but our own files: no inline script or style, no other origin, and forms post back here. */
const PAGE_POLICY = ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", "form-action 'self'", "base-uri 'none'"];

/** teams-js checks the host's origin against a list it fetches from Microsoft (and has its own copy of when it cannot). */
const POLICY_PAGE_CSP = [...PAGE_POLICY, "connect-src 'self' https://res.cdn.office.net", `frame-ancestors ${TEAMS_FRAME_ANCESTORS.join(' ')}`].join('; ');
const SIGNING_PAGE_CSP = [...PAGE_POLICY, "frame-ancestors 'none'"].join('; ');

export interface AupPagesOptions {
  /** Signs the addresses of read-only policy pages (config.pageLinkKey); without it those pages answer 404. */
  pageLinkKey?: Uint8Array;
  /** Page requests per minute from one address to the signing pages; the policy page allows ten times as many. */
  rateLimitPerMinute?: number;
  /** The folder of the pages' own files (web/aup), and the teams-js bundle; by default relative to the working directory, like the add-in. */
  assetsDir?: string;
  teamsJsFile?: string;
  logger?: Logger;
}

const PROBLEMS: Record<SigningLinkProblem, { status: number; heading: string }> = {
  invalid: { status: 404, heading: 'This link does not work' },
  expired: { status: 410, heading: 'This link has expired' },
  used: { status: 409, heading: 'This link has already been used' },
  policyReplaced: { status: 409, heading: 'A newer version of the policy has been published' },
};

/** The form as typed: the tick, and the name and email exactly as they were (so nothing typed is lost). */
function formValues(body: unknown): SigningFormValues & { policyId: string } {
  const fields = body && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const text = (value: unknown) => (typeof value === 'string' ? value : '');
  return { agreed: fields.agreed === 'yes', typedName: text(fields.typedName), typedEmail: text(fields.typedEmail), policyId: text(fields.policyId) };
}

/** The domain's message names the standard wording; a school's own wording can differ, so the page says "the box". */
function pageFieldIssues(fields: FieldIssue[]): FieldIssue[] {
  return fields.map((issue) => (issue.path === 'agreed' ? { path: 'agreed', message: 'Tick the box to confirm you have read and agree to this policy.' } : issue));
}

function sendPage(res: Response, status: number, html: string): void {
  res.status(status).type('html').send(html);
}

/**
 * The pages people open without signing in: a one-time signing link (`/aup/sign/:token`) and the read-only
 * policy page behind "Read the full policy" (`/aup/policies/:policyId/page?k=…`). The token sits in the
 * address, so nothing is cached and no referrer is sent; every answer is HTML, errors included.
 */
export function aupPages(deps: AppDeps, options: AupPagesOptions = {}): Router {
  const assetsDir = options.assetsDir ?? resolve('web/aup');
  const teamsJsFile = options.teamsJsFile ?? resolve('node_modules/@microsoft/teams-js/dist/umd/MicrosoftTeams.min.js');
  const perMinute = options.rateLimitPerMinute ?? 30;
  const limiter = (limit: number) =>
    rateLimit({
      windowMs: 60_000,
      limit,
      standardHeaders: 'draft-8',
      legacyHeaders: false,
      handler: (_req, res) => sendPage(res, 429, problemPage({ heading: 'Too many requests', message: 'Too many requests came from your network. Wait a minute and try again; nothing you typed has been recorded yet.' })),
    });
  const signingLimit = limiter(perMinute);
  // Staff open policy pages from Teams all at once when a new version goes out, usually from one school address.
  const policyPageLimit = limiter(perMinute * 10);

  const pages = Router();
  pages.use((_req, res, next) => {
    res.set('Cache-Control', 'no-store');
    res.set('Referrer-Policy', 'no-referrer');
    res.set('Content-Security-Policy', SIGNING_PAGE_CSP);
    res.set('X-Frame-Options', 'DENY');
    next();
  });

  const assets: Record<string, string> = {
    [AUP_ASSET_PATHS.css]: join(assetsDir, 'aup.css'),
    [AUP_ASSET_PATHS.errorSummary]: join(assetsDir, 'error-summary.js'),
    [AUP_ASSET_PATHS.policyPage]: join(assetsDir, 'policy-page.js'),
    [AUP_ASSET_PATHS.teamsJs]: teamsJsFile,
  };
  for (const [path, file] of Object.entries(assets)) {
    pages.get(path.replace(/^\/aup/, ''), (_req, res, next) => {
      if (!existsSync(file)) return next();
      res.set('Cache-Control', 'public, max-age=3600');
      res.sendFile(file, { dotfiles: 'deny' });
    });
  }

  const showProblem = (res: Response, error: unknown): boolean => {
    const problem = signingLinkProblemOf(error);
    if (!problem || problem === 'policyReplaced') return false;
    sendPage(res, PROBLEMS[problem].status, problemPage({ heading: PROBLEMS[problem].heading, message: (error as AppError).userMessage }));
    return true;
  };

  pages.get('/sign/:token', signingLimit, async (req, res) => {
    try {
      const opened = await openSigningLink(deps, { token: String(req.params.token) });
      sendPage(res, 200, signingPage({ schoolName: opened.schoolName, policy: opened.policy }));
    } catch (error) {
      if (!showProblem(res, error)) throw error;
    }
  });

  pages.post('/sign/:token', signingLimit, express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }), async (req: Request, res) => {
    const token = String(req.params.token);
    const typed = formValues(req.body);
    try {
      const signed = await signWithLink(deps, {
        token,
        policyId: typed.policyId,
        signature: { agreed: typed.agreed, typedName: typed.typedName, typedEmail: typed.typedEmail },
        ...(req.ip ? { ipAddress: req.ip } : {}),
        ...(req.get('user-agent') ? { userAgent: req.get('user-agent')! } : {}),
      });
      sendPage(res, 201, signedPage(signed));
    } catch (error) {
      if (showProblem(res, error)) return;
      const replaced = signingLinkProblemOf(error) === 'policyReplaced';
      if (!replaced && !(isAppError(error) && error.code === 'invalid_input')) throw error;
      // Show the page again with what was typed: the current version, and what to fix.
      let opened;
      try {
        opened = await openSigningLink(deps, { token });
      } catch (reopenError) {
        if (showProblem(res, reopenError)) return;
        throw reopenError;
      }
      const versionChanged = opened.policy.id !== typed.policyId;
      const notice = versionChanged ? (replaced ? (error as AppError).userMessage : `This policy has changed: version ${opened.policy.version} is shown below. Read it before you sign.`) : undefined;
      sendPage(
        res,
        replaced ? 409 : 400,
        signingPage({
          schoolName: opened.schoolName,
          policy: opened.policy,
          // Agreeing to one version is not agreeing to the next: the tick is cleared when the version changed.
          values: { agreed: versionChanged ? false : typed.agreed, typedName: typed.typedName, typedEmail: typed.typedEmail },
          fields: replaced ? [] : pageFieldIssues((error as AppError).fields),
          ...(notice ? { notice } : {}),
        }),
      );
    }
  });

  pages.get('/policies/:policyId/page', policyPageLimit, async (req, res) => {
    res.set('Content-Security-Policy', POLICY_PAGE_CSP);
    // frame-ancestors decides where the page may be shown; the older header would forbid Teams outright.
    res.removeHeader('X-Frame-Options');
    if (!options.pageLinkKey) throw new AppError('not_found', 'This policy page was not found.');
    const page = await openPolicyPage(deps, { policyId: String(req.params.policyId), signature: req.query.k, key: options.pageLinkKey });
    sendPage(res, 200, policyPage(page));
  });

  // Anything else under /aup: a page, not the API's JSON, and the token never reaches the request log.
  pages.all('/{*rest}', () => {
    throw new AppError('not_found', 'There is nothing at this address. Check the link you were given, or ask the school office for a new one.');
  });

  const handlePageError: ErrorRequestHandler = (error: unknown, _req, res, next) => {
    if (res.headersSent) return next(error);
    const appError = toPageError(error);
    if (appError.httpStatus >= 500) {
      options.logger?.error({ requestId: res.locals.requestId, err: { type: (error as Error)?.name, message: (error as Error)?.message, stack: (error as Error)?.stack } }, 'page request failed');
    }
    const heading = appError.httpStatus === 404 ? 'Page not found' : appError.httpStatus >= 500 ? 'Sorry, something went wrong' : 'There is a problem';
    sendPage(res, appError.httpStatus, problemPage({ heading, message: appError.userMessage }));
  };
  pages.use(handlePageError);

  const router = Router();
  router.use('/aup', pages);
  return router;
}

/** The signing form's wording: the person is in a browser and can only go back and try again. */
const PAGE_BODY_MESSAGES = {
  notParsable: 'The form could not be read. Go back and try again.',
  tooLarge: 'What was sent is too large. Go back, shorten your name or email address, and try again.',
  undecodable: 'The form could not be read. Go back and try again.',
  unsupportedEncoding: 'The form could not be read. Go back and try again.',
};

function toPageError(error: unknown): AppError {
  if (isAppError(error)) return error;
  return (
    bodyReadError(error, PAGE_BODY_MESSAGES) ??
    new AppError('internal', 'Something went wrong on our side and your signature was not recorded. Please try again; if it keeps happening, tell the school office.', { cause: error })
  );
}
