import express from 'express';
import type { AppDeps } from '../../src/app/deps.ts';
import type { ChatDelivery } from '../../src/app/chat-delivery.ts';
import { GOOGLE_CHAT_PATH } from '../../src/domain/google-workspace.ts';
import type { PacingLedger } from '../../src/domain/ports.ts';
import type { GoogleWorkspaceRequestVerifier } from '../../src/identity/google-workspace-request-verifier.ts';
import { WorkspaceRequestRefused } from '../../src/identity/google-workspace-request-verifier.ts';
import { SlidingWindowPacer } from '../../src/jobs/sliding-window-pacer.ts';
import type { Logger } from '../../src/logger.ts';
import { createAupChat, type SendEmail, type SendSigningLinkByEmail } from './aup-chat.ts';
import { PacedChatApi, DEFAULT_CHAT_WRITE_LIMITS, type ChatApi } from './chat-api.ts';
import { ChatCardKit } from './chat-cards.ts';
import { chatEventSchema, NO_RESPONSE, type ChatResponse } from './chat-events.ts';
import { GoogleChatApp } from './google-chat-app.ts';
import { GoogleChatDelivery } from './google-chat-delivery.ts';

export interface GoogleChatSurfaceOptions {
  deps: AppDeps;
  logger: Logger;
  /** Checks that each request is Google calling DSL Desk's own add-on deployment. */
  verifier: GoogleWorkspaceRequestVerifier;
  /** The Chat REST API as the app (unpaced: the surface paces it). */
  chatApi: ChatApi;
  /** The Chat endpoint's full HTTPS URL, as configured: every button's `action.function`. */
  chatEndpointUrl: string;
  bodyLimit: string;
  newFormId: () => string;
  /** Message writes per minute for the whole Cloud project. */
  projectWritesPerMinute?: number;
  /** Where the pacer keeps recent writes, so Chat's limits hold across a restart. */
  pacingLedger?: PacingLedger;
  policyPageUrl: (schoolId: string, policyId: string) => string;
  sendSigningLinkByEmail?: SendSigningLinkByEmail;
  sendEmail?: SendEmail;
  /** How long an event may take before it is answered with nothing (Chat waits 30 s). */
  answerWithinMs?: number;
}

export interface GoogleChatSurface {
  /** Adds POST /api/google/chat to the HTTP app. */
  mount(app: express.Express): void;
  /** Case cards, 1:1 notices and policy cards in Google Chat: this platform's side of the chat delivery port. */
  delivery: ChatDelivery;
}

/** The Google Chat app: its endpoint, its handlers and its delivery, sharing one paced Chat API client. */
export function createGoogleChatSurface(options: GoogleChatSurfaceOptions): GoogleChatSurface {
  const { deps, logger } = options;
  // One pacer for every Chat write of the process: cases, notices and policy campaigns share Chat's limits.
  const pacer = new SlidingWindowPacer({
    ...(options.pacingLedger ? { ledger: options.pacingLedger } : {}),
    onLedgerError: (error) => logger.warn({ err: { message: (error as Error)?.message } }, 'pacing ledger unavailable: pacing from memory'),
  });
  const chat = new PacedChatApi({
    api: options.chatApi,
    pacer,
    limits: { ...DEFAULT_CHAT_WRITE_LIMITS, projectWritesPerMinute: options.projectWritesPerMinute ?? DEFAULT_CHAT_WRITE_LIMITS.projectWritesPerMinute },
  });
  const kit = new ChatCardKit(options.chatEndpointUrl);
  const aup = createAupChat({
    deps,
    logger,
    chat,
    chatEndpointUrl: options.chatEndpointUrl,
    policyPageUrl: options.policyPageUrl,
    ...(options.sendSigningLinkByEmail ? { sendSigningLinkByEmail: options.sendSigningLinkByEmail } : {}),
    ...(options.sendEmail ? { sendEmail: options.sendEmail } : {}),
  });
  const app = new GoogleChatApp({ deps, logger, kit, chat, newFormId: options.newFormId, extraActions: aup.actions });
  const cases = new GoogleChatDelivery({ deps, logger, chat, kit });
  const delivery: ChatDelivery = {
    platform: 'google_chat',
    postCaseCard: (message, attempt) => cases.postCaseCard(message, attempt),
    refreshCaseCard: (message, attempt) => cases.refreshCaseCard(message, attempt),
    notifyPerson: (message, attempt) => cases.notifyPerson(message, attempt),
    postPupilPattern: (message, attempt) => cases.postPupilPattern(message, attempt),
    deliverPolicy: (message, attempt) => aup.deliverPolicy(message, attempt),
    remindPolicy: (message, attempt) => aup.remindPolicy(message, attempt),
    escalatePolicy: (message, attempt) => aup.escalatePolicy(message, attempt),
  };
  const answerWithinMs = options.answerWithinMs ?? 25_000;

  // Before the body is read: a request Google did not sign for this deployment is refused unread.
  const verify: express.RequestHandler = (req, res, next) => {
    options.verifier.verify(req.headers.authorization).then(
      () => next(),
      (error: unknown) => {
        const refused = error instanceof WorkspaceRequestRefused ? error : new WorkspaceRequestRefused('the request could not be verified');
        logger.warn({ code: refused.unavailable ? 'google_keys_unavailable' : 'google_request_refused', reason: refused.reason }, 'google chat request refused');
        res
          .status(refused.unavailable ? 503 : 401)
          .json({ error: refused.unavailable ? 'identity_unavailable' : 'unauthenticated', message: `DSL Desk refused this Google Chat request: ${refused.reason}.` });
      },
    );
  };
  const handle: express.RequestHandler = (req, res) => {
    const parsed = chatEventSchema.safeParse(req.body);
    if (!parsed.success) {
      logger.info({ code: 'invalid_chat_event', fields: [...new Set(parsed.error.issues.map((issue) => issue.path.join('.')))].slice(0, 10) }, 'google chat event not understood');
      res.status(400).json({ error: 'invalid_input', message: 'This is not a Google Chat event in the Workspace add-on format (commonEventObject and chat with one payload).' });
      return;
    }
    // Chat waits 30 s for an answer; an event still running by then is answered with nothing (it finishes anyway).
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<ChatResponse>((resolve) => {
      timer = setTimeout(() => {
        logger.warn({ code: 'chat_event_slow' }, 'google chat event answered empty: still running');
        resolve(NO_RESPONSE);
      }, answerWithinMs);
    });
    void Promise.race([app.handle(parsed.data), late])
      .then((response) => res.json(response))
      .catch((error: unknown) => {
        logger.error({ err: { message: (error as Error)?.message } }, 'google chat event failed');
        if (!res.headersSent) res.json(NO_RESPONSE);
      })
      .finally(() => clearTimeout(timer));
  };
  const refuseUnreadable: express.ErrorRequestHandler = (error, _req, res, next) => {
    if (res.headersSent) return next(error);
    const status = typeof (error as { status?: unknown })?.status === 'number' ? (error as { status: number }).status : 400;
    res.status(status === 413 ? 413 : 400).json({ error: status === 413 ? 'payload_too_large' : 'invalid_input', message: status === 413 ? 'The Chat event is larger than DSL Desk accepts.' : 'The Chat event is not readable JSON.' });
  };

  return {
    mount(express_) {
      express_.post(GOOGLE_CHAT_PATH, verify, express.json({ limit: options.bodyLimit }), handle, refuseUnreadable);
    },
    delivery,
  };
}
