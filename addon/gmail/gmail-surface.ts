import express from 'express';
import type { AppDeps } from '../../src/app/deps.ts';
import { GOOGLE_GMAIL_PATH } from '../../src/domain/google-workspace.ts';
import type { GoogleAddonUserVerifier } from '../../src/identity/google-addon-user-verifier.ts';
import { WorkspaceRequestRefused, type GoogleWorkspaceRequestVerifier } from '../../src/identity/google-workspace-request-verifier.ts';
import type { Logger } from '../../src/logger.ts';
import { GmailAddon } from './gmail-addon.ts';
import { problemCard, updateCard } from './gmail-cards.ts';
import { gmailEventSchema } from './gmail-events.ts';

export interface GmailSurfaceOptions {
  deps: AppDeps;
  logger: Logger;
  /** The system token (Authorization): Google calling DSL Desk's own deployment, audience = the Gmail endpoint URL. */
  verifier: GoogleWorkspaceRequestVerifier;
  /** The user ID token: who is using the add-on (audience = the add-on's OAuth client id). */
  userVerifier: GoogleAddonUserVerifier;
  /** The Gmail endpoint's full URL, as configured. */
  endpointUrl: string;
  bodyLimit: string;
  /** EMAIL_REPORT_MAX_MB in bytes. */
  maxBytes: number;
  /** A Report running longer than this is answered with a card saying it is still being filed. Default 25 s (Gmail waits about 30). */
  answerWithinMs?: number;
}

export interface GmailSurface {
  /** Adds POST /api/google/gmail to the HTTP app. */
  mount(app: express.Express): void;
}

const SOMETHING_WENT_WRONG = 'DSL Desk could not answer just now. Try again in a few minutes; if it is urgent, tell your DSL team directly.';

/** The Gmail add-on's endpoint: verification, the event's shape, and an answer Gmail can always show. */
export function createGmailSurface(options: GmailSurfaceOptions): GmailSurface {
  const { logger } = options;
  const addon = new GmailAddon({
    deps: options.deps,
    logger,
    endpointUrl: options.endpointUrl,
    maxBytes: options.maxBytes,
    ...(options.answerWithinMs !== undefined ? { answerWithinMs: options.answerWithinMs } : {}),
  });

  const refuse = (res: express.Response, error: unknown, which: string) => {
    const refused = error instanceof WorkspaceRequestRefused ? error : new WorkspaceRequestRefused('the request could not be verified');
    logger.warn({ code: refused.unavailable ? 'google_keys_unavailable' : 'google_request_refused', reason: refused.reason }, `gmail ${which} refused`);
    res
      .status(refused.unavailable ? 503 : 401)
      .json({ error: refused.unavailable ? 'identity_unavailable' : 'unauthenticated', message: `DSL Desk refused this Gmail add-on request: ${refused.reason}.` });
  };

  // Before the body is read: a request Google did not sign for this deployment is refused unread.
  const verify: express.RequestHandler = (req, res, next) => {
    options.verifier.verify(req.headers.authorization).then(() => next(), (error: unknown) => refuse(res, error, 'request'));
  };

  const handle: express.RequestHandler = (req, res) => {
    const parsed = gmailEventSchema.safeParse(req.body);
    if (!parsed.success) {
      logger.info({ code: 'invalid_gmail_event', fields: [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))].slice(0, 10) }, 'gmail event not understood');
      res.status(400).json({ error: 'invalid_input', message: 'This is not a Gmail add-on event (commonEventObject with hostApp GMAIL).' });
      return;
    }
    const event = parsed.data;
    void options.userVerifier.verify(event.authorizationEventObject?.userIdToken).then(
      (user) =>
        addon.handle(event, user).then(
          (response) => res.json(response),
          (error: unknown) => {
            logger.error({ err: { message: (error as Error)?.message } }, 'gmail event failed');
            if (!res.headersSent) res.json(updateCard(problemCard(SOMETHING_WENT_WRONG), 'Something went wrong'));
          },
        ),
      (error: unknown) => refuse(res, error, 'user'),
    );
  };

  const refuseUnreadable: express.ErrorRequestHandler = (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    const status = typeof (error as { status?: unknown })?.status === 'number' ? (error as { status: number }).status : 400;
    res.status(status === 413 ? 413 : 400).json({
      error: status === 413 ? 'payload_too_large' : 'invalid_input',
      message: status === 413 ? 'The Gmail event is larger than DSL Desk accepts.' : 'The Gmail event is not readable JSON.',
    });
  };

  return {
    mount(app) {
      app.post(GOOGLE_GMAIL_PATH, verify, express.json({ limit: options.bodyLimit }), handle, refuseUnreadable);
    },
  };
}
