import type { AppDeps } from '../../src/app/deps.ts';
import { getCase } from '../../src/app/cases/get-case.ts';
import { listMyReports } from '../../src/app/cases/list-my-reports.ts';
import { performCaseAction } from '../../src/app/cases/perform-case-action.ts';
import { prepareCaseCard, type CaseCardContext } from '../../src/app/cases/prepare-case-card.ts';
import { readSchoolTimeZone } from '../../src/app/organisations/read-school-time-zone.ts';
import { recordCaseCardPosted } from '../../src/app/cases/record-case-card.ts';
import { rememberChatUser } from '../../src/app/people/remember-chat-user.ts';
import { reportConcern } from '../../src/app/cases/report-concern.ts';
import { resolveActor } from '../../src/app/people/resolve-actor.ts';
import { searchStaff } from '../../src/app/people/search-staff.ts';
import { searchPupils } from '../../src/app/pupils/search-pupils.ts';
import { acknowledgePupilPattern } from '../../src/app/pupils/acknowledge-pupil-pattern.ts';
import { getPupilChronology } from '../../src/app/pupils/get-pupil-chronology.ts';
import { preparePupilPatternCard, type PupilPatternCardContext } from '../../src/app/pupils/prepare-pupil-pattern-card.ts';
import { pupilPatternViewOf } from '../../src/domain/pupil-texts.ts';
import { readPatternWindow } from '../../src/app/pupils/read-pattern-window.ts';
import { namePickedPupils } from '../../src/app/pupils/name-picked-pupils.ts';
import { useChannelForCases } from '../../src/app/cases/use-channel-for-cases.ts';
import { CHANNEL_TARGET, type ConversationAddress } from '../../src/domain/chat.ts';
import { concernSchema } from '../../src/domain/concern.ts';
import { CHILD_PICKERS, CONCERN_FORM_INPUT_IDS, formErrors, NOT_ABOUT_STAFF, pupilChoiceTitle, readConcernForm } from '../../src/domain/concern-form.ts';
import { AppError, isAppError } from '../../src/domain/errors.ts';
import { actorForSchool, type Actor } from '../../src/domain/roles.ts';
import { trimTrailing } from '../../src/domain/text.ts';
import type { Logger } from '../../src/logger.ts';
import { ChatCallError, type ChatApi, type GoogleCard } from './chat-api.ts';
import { DeferDelivery } from '../../src/jobs/outbox-dispatcher.ts';
import {
  caseCard,
  caseCardText,
  caseDetailCard,
  caseFormCard,
  CASE_FORM_INPUTS,
  CASE_FORMS,
  CHAT_ACTIONS,
  CHILD_QUERY_INPUT,
  concernFormCard,
  helpCard,
  messageCard,
  myReportsCard,
  pupilChronologyCard,
  pupilPatternCard,
  receiptCard,
  STAFF_QUERY_INPUT,
  type CaseFormName,
  type ChatCardKit,
  type ChatConcernFormView,
} from './chat-cards.ts';
import {
  ACTION_PARAMETER,
  closeDialog,
  formValue,
  formValues,
  NO_RESPONSE,
  openDialog,
  replyWithMessage,
  updateDialog,
  updateThisMessage,
  type ChatActionContext,
  type ChatActionHandler,
  type ChatEvent,
  type ChatResponse,
  type ChatSpaceRef,
  type ChatUserRef,
} from './chat-events.ts';

/**
 * The ids of the Chat app's commands, as configured on the Chat API configuration page (and by
 * `npm run package:google`): each works as a slash command and as a quick command.
 */
export const CHAT_COMMANDS = { report: 1, myReports: 2, help: 3 } as const;

/** The card id of the case card in the DSL space (one card per message). */
export const CASE_CARD_ID = 'case';
/** The card id of "A pattern for a pupil" in the DSL space. */
export const PUPIL_PATTERN_CARD_ID = 'pupil-pattern';

export interface GoogleChatAppOptions {
  deps: AppDeps;
  logger: Logger;
  kit: ChatCardKit;
  /** Paced Chat API calls: the receipt in the reporter's DM. */
  chat: ChatApi;
  newFormId: () => string;
  /** More handlers by `action` (the acceptable use policy's `aup.…`). */
  extraActions?: Record<string, ChatActionHandler>;
}

type Handler = (context: ChatActionContext) => Promise<ChatResponse>;

const TOGGLE_INPUTS = new Set(['childAtImmediateRisk', 'ongoing']);
/** Inputs that send several values (multi-select lists), read as the comma-separated string the form reader takes. */
const LIST_INPUTS = new Set<string>(['types', ...CHILD_PICKERS.map((picker) => picker.input)]);

/**
 * Turns Google Chat events (Workspace add-on format) into use-case calls and the results back into cards,
 * dialogs and messages. Who may do what is decided by the use cases against our own records; this only translates.
 */
export class GoogleChatApp {
  readonly #deps: AppDeps;
  readonly #logger: Logger;
  readonly #kit: ChatCardKit;
  readonly #chat: ChatApi;
  readonly #newFormId: () => string;
  readonly #actions: Record<string, Handler>;

  constructor(options: GoogleChatAppOptions) {
    this.#deps = options.deps;
    this.#logger = options.logger;
    this.#kit = options.kit;
    this.#chat = options.chat;
    this.#newFormId = options.newFormId;
    const caseButton = (command: (c: ChatActionContext) => Record<string, unknown>) => (c: ChatActionContext) => this.#caseButton(c, command(c));
    this.#actions = {
      ...(options.extraActions ?? {}),
      [CHAT_ACTIONS.reportStart]: async (c) => openDialog(await this.#emptyForm(c.actor)),
      [CHAT_ACTIONS.reportSubmit]: (c) => this.#submitReport(c),
      [CHAT_ACTIONS.reportFindStaff]: (c) => this.#findStaff(c),
      [CHAT_ACTIONS.reportFindChild]: (c) => this.#findChild(c),
      [CHAT_ACTIONS.reportsMine]: async (c) => replyWithMessage(cardMessage('my-reports', await this.#myReports(c.actor))),
      [CHAT_ACTIONS.help]: async (c) => replyWithMessage(cardMessage('help', helpCard(this.#kit, { inSpace: !isDirectMessage(c.space) }))),
      [CHAT_ACTIONS.caseOpen]: (c) => this.#openCase(c),
      [CHAT_ACTIONS.pupilPatternAcknowledge]: (c) => this.#acknowledgePattern(c),
      [CHAT_ACTIONS.pupilOpen]: (c) => this.#openPupil(c),
      [CHAT_ACTIONS.caseForm]: (c) => this.#openCaseForm(c),
      [CHAT_ACTIONS.caseAcknowledge]: caseButton(() => ({ action: 'acknowledge' })),
      [CHAT_ACTIONS.caseAssignToMe]: caseButton((c) => ({ action: 'assign', assigneeId: c.actor.personId })),
      [CHAT_ACTIONS.emailRemove]: caseButton(() => ({ action: 'email_remove' })),
      [CHAT_ACTIONS.emailForward]: caseButton(() => ({ action: 'email_forward', to: 'security' })),
      [CHAT_ACTIONS.emailForwardNcsc]: caseButton(() => ({ action: 'email_forward', to: 'ncsc' })),
      [CHAT_ACTIONS.emailTellReporters]: caseButton(() => ({ action: 'email_tell_reporters' })),
      [CHAT_ACTIONS.caseAddNote]: (c) => this.#submitCaseForm(c, 'note', (v) => ({ action: 'note', text: v.note ?? '' })),
      [CHAT_ACTIONS.caseTickSteps]: (c) => this.#submitCaseForm(c, 'steps', () => ({ action: 'tick_steps', steps: formValues(c.event, CASE_FORM_INPUTS.steps) })),
      [CHAT_ACTIONS.caseEscalate]: (c) => this.#submitCaseForm(c, 'escalate', (v) => given({ action: 'escalate', agency: v.agency, reference: v.agencyReference?.trim() || undefined })),
      [CHAT_ACTIONS.caseAssign]: (c) => this.#submitCaseForm(c, 'assign', (v) => ({ action: 'assign', assigneeId: v.assigneeId ?? '' })),
      [CHAT_ACTIONS.caseChangeUrgency]: (c) => this.#submitCaseForm(c, 'urgency', (v) => given({ action: 'change_urgency', urgency: v.urgency, reason: v.urgencyReason ?? '' })),
      [CHAT_ACTIONS.caseClose]: (c) => this.#submitCaseForm(c, 'close', (v) => ({ action: 'close', outcome: v.outcome ?? '' })),
      [CHAT_ACTIONS.caseReopen]: (c) => this.#submitCaseForm(c, 'reopen', (v) => ({ action: 'reopen', reason: v.reopenReason ?? '' })),
      [CHAT_ACTIONS.emailDecideVerdict]: (c) => this.#submitCaseForm(c, 'verdict', (v) => given({ action: 'email_verdict', verdict: v.verdict, reason: v.verdictReason ?? '' })),
    };
  }

  /** One event in, its synchronous answer out. Never throws: a failure is answered in words. */
  async handle(event: ChatEvent): Promise<ChatResponse> {
    const { chat } = event;
    try {
      if (chat.removedFromSpacePayload) {
        this.#logger.info({ event: 'removed_from_space' }, 'google chat app removed from a space');
        return NO_RESPONSE;
      }
      const space = spaceOf(event);
      const actor = await this.#actor(chat.user, space);
      if (chat.addedToSpacePayload) return replyWithMessage(cardMessage('welcome', helpCard(this.#kit, { inSpace: !isDirectMessage(space) })));
      if (chat.buttonClickedPayload) {
        const payload = chat.buttonClickedPayload;
        if (payload.dialogEventType === 'CANCEL_DIALOG') return closeDialog();
        const context = this.#context(event, actor, space, payload.isDialogEvent === true, payload.message?.name);
        const action = context.parameters[ACTION_PARAMETER] ?? '';
        const handler = this.#actions[action];
        if (!handler) throw new AppError('invalid_input', 'This button is out of date. Type "help" to start again.');
        return await handler(context);
      }
      if (chat.appCommandPayload) return await this.#command(event, actor, space);
      if (chat.messagePayload) return await this.#message(event, actor, space);
      // Autocomplete and other widget updates: DSL Desk has none.
      return NO_RESPONSE;
    } catch (error) {
      return this.#failure(event, error);
    }
  }

  // ---- who is this: the verified Chat user, mapped through our own records ------------------------

  async #actor(user: ChatUserRef, space: ChatSpaceRef | undefined): Promise<Actor> {
    const email = user.email?.trim().toLowerCase();
    const at = email?.lastIndexOf('@') ?? -1;
    if (!email || at < 1) {
      throw new AppError('unauthenticated', 'DSL Desk could not tell who you are from Google Chat. Use DSL Desk from your school Google account.', { internal: 'chat user without an email' });
    }
    // Google vouches for the user's address in a verified add-on event: it is their Workspace account.
    const actor = await resolveActor(this.#deps, {
      provider: 'google',
      tenantId: email.slice(at + 1),
      subject: user.name.slice('users/'.length),
      email,
      emailVerified: true,
      ...(user.displayName ? { displayName: user.displayName } : {}),
    });
    await rememberChatUser(this.#deps, {
      actor,
      platform: 'google_chat',
      userId: user.name,
      ...(space && isDirectMessage(space) ? { personalConversation: spaceAddress(space, { channel: false }) } : {}),
    });
    return actor;
  }

  #context(event: ChatEvent, actor: Actor, space: ChatSpaceRef | undefined, isDialogEvent: boolean, messageName: string | undefined): ChatActionContext {
    return {
      event,
      actor,
      user: event.chat.user,
      ...(space ? { space } : {}),
      ...(messageName ? { messageName } : {}),
      parameters: event.commonEventObject.parameters ?? {},
      isDialogEvent,
      now: this.#deps.clock.now(),
    };
  }

  // ---- messages and commands ---------------------------------------------------------------------

  async #message(event: ChatEvent, actor: Actor, space: ChatSpaceRef | undefined): Promise<ChatResponse> {
    const message = event.chat.messagePayload!.message;
    // In a space the app only hears messages that mention it; argumentText is the message without the mention.
    const command = trimTrailing((message.argumentText ?? message.text ?? '').replace(/\s+/g, ' ').trim().toLowerCase(), '.!?');
    const inDm = isDirectMessage(space);
    if (/^use this space( for cases)?$/.test(command)) return this.#useSpaceForCases(actor, space);
    if (!inDm) return replyWithMessage(cardMessage('help', helpCard(this.#kit, { inSpace: true })));
    if (/^\/?(report|report a concern|new report|concern|raise a concern)\b/.test(command)) return replyWithMessage(cardMessage('report', this.#reportPrompt()));
    if (/^(my reports|my cases|reports|status)$/.test(command)) return replyWithMessage(cardMessage('my-reports', await this.#myReports(actor)));
    return replyWithMessage(cardMessage('help', helpCard(this.#kit, { inSpace: false })));
  }

  async #command(event: ChatEvent, actor: Actor, space: ChatSpaceRef | undefined): Promise<ChatResponse> {
    const payload = event.chat.appCommandPayload!;
    const id = Number(payload.appCommandMetadata.appCommandId);
    if (id === CHAT_COMMANDS.report) {
      // A command set to open a dialog arrives as a dialog request; otherwise a button opens it.
      return payload.isDialogEvent ? openDialog(await this.#emptyForm(actor)) : replyWithMessage(cardMessage('report', this.#reportPrompt()));
    }
    if (id === CHAT_COMMANDS.myReports) return replyWithMessage(cardMessage('my-reports', await this.#myReports(actor)));
    return replyWithMessage(cardMessage('help', helpCard(this.#kit, { inSpace: !isDirectMessage(space) })));
  }

  /** A message cannot open a dialog in Chat: the answer is a card whose button opens the form. */
  #reportPrompt(): GoogleCard {
    return {
      header: { title: 'Report a concern to the DSL' },
      sections: [
        {
          widgets: [
            { textParagraph: { text: 'If a child is in immediate danger, call 999 first, then report it.' } },
            this.#kit.buttons([this.#kit.button('Open the form', CHAT_ACTIONS.reportStart, {}, { dialog: true, filled: true })])!,
          ],
        },
      ],
    };
  }

  async #useSpaceForCases(actor: Actor, space: ChatSpaceRef | undefined): Promise<ChatResponse> {
    if (!space || isDirectMessage(space)) {
      return replyWithMessage({ text: 'Run this in the DSL space where cases should arrive: add DSL Desk to that space, then mention it there with "use this space for cases".' });
    }
    await useChannelForCases(this.#deps, { actor, address: spaceAddress(space, { channel: true }) });
    return replyWithMessage({ text: 'Done. New cases will be posted in this space, with no names or details on the card. DSLs use "Open case" to see a case; only they can act on it.' });
  }

  async #myReports(actor: Actor): Promise<GoogleCard> {
    const reports = await listMyReports(this.#deps, { actor, limit: 20 });
    const timeZone = await readSchoolTimeZone(this.#deps, { schoolId: actor.schoolId });
    return myReportsCard(this.#kit, { reports: reports.map((r) => ({ reference: r.reference, status: r.status, reportedAt: r.reportedAt, updatedAt: r.updatedAt })), timeZone });
  }

  // ---- the concern form ------------------------------------------------------------------------------

  async #emptyForm(actor: Actor): Promise<GoogleCard> {
    return concernFormCard(this.#kit, { formId: this.#newFormId(), values: {}, errors: {}, ...schoolChoiceOf(actor) });
  }

  /** What the form holds now, as the strings the concern form reader takes (everything typed is kept). */
  async #readForm(context: ChatActionContext) {
    const { event, actor } = context;
    const inputs: Record<string, string> = {};
    for (const id of CONCERN_FORM_INPUT_IDS) {
      if (LIST_INPUTS.has(id)) inputs[id] = formValues(event, id).join(',');
      else if (TOGGLE_INPUTS.has(id)) inputs[id] = formValues(event, id).includes('true') ? 'true' : 'false';
      else inputs[id] = formValue(event, id) ?? '';
    }
    const timeZone = await readSchoolTimeZone(this.#deps, { schoolId: actor.schoolId });
    const read = readConcernForm(inputs, timeZone);
    return { ...read, subjectQuery: formValue(event, STAFF_QUERY_INPUT) ?? '', childQuery: formValue(event, CHILD_QUERY_INPUT) ?? '' };
  }

  /** The children already picked on the form, by name (for the lists to show them again, still picked). */
  async #pickedChildren(actor: Actor, children: { pupilId?: string }[]): Promise<{ title: string; value: string }[]> {
    const pupilIds = children.flatMap((child) => (child.pupilId ? [child.pupilId] : []));
    if (pupilIds.length === 0) return [];
    const picked = await namePickedPupils(this.#deps, { actor, pupilIds }).catch(() => []);
    return picked.map((pupil) => ({ title: pupilChoiceTitle(pupil), value: pupil.id }));
  }

  /** "Find child": the same form back, everything kept, with the pupils whose names match in each child list. */
  async #findChild(context: ChatActionContext): Promise<ChatResponse> {
    const { values, children, subjectQuery, childQuery } = await this.#readForm(context);
    const formId = context.parameters.formId || this.#newFormId();
    const tooShort = childQuery.trim().length < 2;
    const found = tooShort ? [] : await searchPupils(this.#deps, { actor: context.actor, query: childQuery });
    const picked = await this.#pickedChildren(context.actor, children);
    const offered = [...picked, ...found.map((pupil) => ({ title: pupilChoiceTitle(pupil), value: pupil.id })).filter((choice) => !picked.some((p) => p.value === choice.value))];
    const view: ChatConcernFormView = {
      formId,
      values: { ...values, subjectQuery, childQuery },
      errors:
        found.length === 0
          ? { [CHILD_QUERY_INPUT]: tooShort ? 'Type at least two letters of the child’s name.' : 'No child on the school’s roll has that name. Check the spelling, or type their name in the box below.' }
          : {},
      childChoices: offered,
      ...(values.subjectPersonId && values.subjectPersonId !== NOT_ABOUT_STAFF ? await this.#staffChoice(context.actor, values.subjectPersonId) : {}),
      ...schoolChoiceOf(context.actor, formValue(context.event, 'school')),
    };
    return updateDialog(concernFormCard(this.#kit, view));
  }

  async #staffChoice(actor: Actor, personId: string): Promise<Pick<ChatConcernFormView, 'staffChoices'>> {
    const chosen = (await searchStaff(this.#deps, { actor, personId }).catch(() => []))[0];
    return chosen ? { staffChoices: [{ title: chosen.name, value: chosen.id }] } : {};
  }

  /** "Find" next to the staff box: the same form back, everything kept, with the people whose names match. */
  async #findStaff(context: ChatActionContext): Promise<ChatResponse> {
    const { values, children, subjectQuery, childQuery } = await this.#readForm(context);
    const formId = context.parameters.formId || this.#newFormId();
    const childChoices = await this.#pickedChildren(context.actor, children);
    const found = subjectQuery.trim().length >= 2 ? await searchStaff(this.#deps, { actor: context.actor, query: subjectQuery }) : [];
    const view: ChatConcernFormView = {
      formId,
      values: { ...values, subjectQuery, childQuery, ...(found.length === 1 ? { subjectPersonId: found[0]!.id } : {}) },
      ...(childChoices.length > 0 ? { childChoices } : {}),
      errors: found.length === 0 ? { subjectPersonId: subjectQuery.trim().length < 2 ? 'Type at least two letters of their name.' : 'Nobody of your school has that name in DSL Desk. Check the spelling.' } : {},
      staffChoices: found.map((person) => ({ title: person.name, value: person.id })),
      ...schoolChoiceOf(context.actor, formValue(context.event, 'school')),
    };
    return updateDialog(concernFormCard(this.#kit, view));
  }

  /**
   * The form sent: the same dialog back with a message by each field to fix (everything typed kept), or the report
   * filed, the dialog closed and the receipt in the reporter's chat. The form id makes a double submit one report.
   */
  async #submitReport(context: ChatActionContext): Promise<ChatResponse> {
    const { actor, event } = context;
    const formId = context.parameters.formId || this.#newFormId();
    const { values, concern, children, subjectQuery, childQuery } = await this.#readForm(context);
    const chosenSchool = formValue(event, 'school');
    const needsSchool = (actor.memberships?.length ?? 0) > 1 && !actor.memberships?.some((m) => m.schoolId === chosenSchool);
    const again = async (errors: Record<string, string>, formMessage: string, schoolError?: string) => {
      const chosen = values.subjectPersonId && values.subjectPersonId !== NOT_ABOUT_STAFF ? (await searchStaff(this.#deps, { actor, personId: values.subjectPersonId }).catch(() => []))[0] : undefined;
      const childChoices = await this.#pickedChildren(actor, children);
      return updateDialog(
        concernFormCard(this.#kit, {
          formId,
          values: { ...values, subjectQuery, childQuery },
          errors,
          formMessage,
          ...(chosen ? { staffChoices: [{ title: chosen.name, value: chosen.id }] } : {}),
          ...(childChoices.length > 0 ? { childChoices } : {}),
          ...schoolChoiceOf(actor, chosenSchool, schoolError),
        }),
      );
    };
    const parsed = concernSchema.safeParse(concern);
    if (!parsed.success || needsSchool) {
      const errors = parsed.success ? {} : formErrors(parsed.error.issues.map((issue) => ({ path: issue.path.filter((p): p is string | number => typeof p !== 'symbol'), message: issue.message })));
      return again(errors, 'Some answers need another look. What you typed is still here.', needsSchool ? 'Choose the school this report is for.' : undefined);
    }
    let receipt;
    try {
      receipt = await reportConcern(this.#deps, {
        actor: actorForSchool(actor, actor.memberships ? chosenSchool : undefined),
        concern: parsed.data,
        ...(children.length > 0 ? { children } : {}),
        channel: 'google_chat',
        idempotencyKey: `google-chat-form:${formId}`,
      });
    } catch (error) {
      if (!isAppError(error) || error.code !== 'invalid_input') throw error;
      return again(formErrors(error.fields.map((field) => ({ path: field.path.split('.'), message: field.message }))), `${error.userMessage} What you typed is still here.`);
    }
    if (context.space && isDirectMessage(context.space)) {
      // The dialog closes at once with the reference; the receipt card follows in the DM when Chat's pacing lets it
      // (a write may wait its turn for a few seconds), so the answer to the reporter never waits on it.
      const space = context.space.name;
      const filed = receipt;
      void (async () => {
        const timeZone = await readSchoolTimeZone(this.#deps, { schoolId: actor.schoolId });
        const card = receiptCard({ reference: filed.reference, receivedAt: filed.receivedAt, urgent: parsed.data.childAtImmediateRisk, joinedExisting: filed.joinedExisting, timeZone });
        // The same request id for a repeated submit: Chat answers with the first receipt instead of a second one.
        await postWhenPaced(() => this.#chat.createMessage({ space, message: cardMessage('receipt', card), requestId: `receipt-${formId}` }));
      })().catch((error: unknown) => this.#logger.warn({ code: 'receipt_not_posted', err: { message: (error as Error)?.message } }, 'google chat receipt not posted'));
    }
    return closeDialog(`Thank you. Your report ${receipt.reference} has gone to the DSL.`);
  }

  // ---- the case card and its forms ---------------------------------------------------------------

  #caseId(context: ChatActionContext): string {
    const caseId = context.parameters.caseId;
    if (!caseId) throw new AppError('invalid_input', 'This button is out of date. Open the case from DSL Desk.');
    return caseId;
  }

  /** "Open case": only to someone who may see it, in a dialog only they see; the read is audited by getCase. */
  async #openCase(context: ChatActionContext): Promise<ChatResponse> {
    const record = await getCase(this.#deps, { actor: context.actor, caseId: this.#caseId(context) });
    const timeZone = await readSchoolTimeZone(this.#deps, { schoolId: context.actor.schoolId });
    return openDialog(caseDetailCard(record, timeZone));
  }

  // ---- a pattern for a pupil ---------------------------------------------------------------------------

  #patternIds(context: ChatActionContext): { alertId: string; pupilId: string } {
    const { alertId, pupilId } = context.parameters;
    if (!alertId || !pupilId) throw new AppError('invalid_input', 'This button is out of date. Open the pupil from DSL Desk.');
    return { alertId, pupilId };
  }

  /** "Acknowledge" on the pattern card: decided and audited by the use case; the card then says who and when. */
  async #acknowledgePattern(context: ChatActionContext): Promise<ChatResponse> {
    const { actor } = context;
    const { alertId, pupilId } = this.#patternIds(context);
    await acknowledgePupilPattern(this.#deps, { actor, alertId });
    const prepared = await preparePupilPatternCard(this.#deps, { schoolId: actor.schoolId, pupilId, alertId, platform: 'google_chat' });
    if (!prepared) throw new AppError('not_found', 'That pattern was not found. Open the pupil from DSL Desk.');
    const timeZone = await readSchoolTimeZone(this.#deps, { schoolId: actor.schoolId });
    return updateThisMessage({ text: 'A pattern for a pupil', ...cardMessage(PUPIL_PATTERN_CARD_ID, pupilPatternChatCard(this.#kit, { ...prepared, rule: await readPatternWindow(this.#deps, { schoolId: actor.schoolId }) }, pupilId, timeZone)) });
  }

  /** "Open pupil": the child's chronology in a dialog only the DSL who pressed it sees; authorised and audited by the use case. */
  async #openPupil(context: ChatActionContext): Promise<ChatResponse> {
    const { pupilId } = this.#patternIds(context);
    const chronology = await getPupilChronology(this.#deps, { actor: context.actor, pupilId });
    const timeZone = await readSchoolTimeZone(this.#deps, { schoolId: context.actor.schoolId });
    return openDialog(pupilChronologyCard(chronology, timeZone));
  }

  async #caseContext(actor: Actor, caseId: string): Promise<CaseCardContext> {
    const context = await prepareCaseCard(this.#deps, { schoolId: actor.schoolId, caseId, platform: 'google_chat', viewer: actor });
    if (!context || !context.viewerMaySee) throw new AppError('not_found', 'That case was not found.');
    return context;
  }

  async #openCaseForm(context: ChatActionContext): Promise<ChatResponse> {
    const form = context.parameters.form;
    if (!form || !Object.hasOwn(CASE_FORMS, form)) throw new AppError('invalid_input', 'This button is out of date. Open the case from DSL Desk.');
    const caseContext = await this.#caseContext(context.actor, this.#caseId(context));
    if (!caseContext.viewerMayAct) throw new AppError('forbidden', 'Only the DSLs can act on this case.');
    return openDialog(caseFormCard(this.#kit, { form: form as CaseFormName, context: caseContext }));
  }

  /**
   * A button on the card (no form): the action through the one use case for case actions, then the card as
   * it is now, for everyone in the space, recorded as shown so the outbox does not edit it again.
   */
  async #caseButton(context: ChatActionContext, command: Record<string, unknown>): Promise<ChatResponse> {
    const { actor } = context;
    const caseId = this.#caseId(context);
    const result = await performCaseAction(this.#deps, { actor, caseId, command });
    const inSpace = context.space && !isDirectMessage(context.space);
    if (result.message) return replyWithMessage({ text: result.message, ...(inSpace ? { privateMessageViewer: { name: context.user.name } } : {}) });
    const fresh = await prepareCaseCard(this.#deps, { schoolId: actor.schoolId, caseId, platform: 'google_chat' });
    if (fresh && context.messageName && fresh.card?.activityId === context.messageName && fresh.card.platform === 'google_chat') {
      const timeZone = await readSchoolTimeZone(this.#deps, { schoolId: actor.schoolId });
      await recordCaseCardPosted(this.#deps, {
        schoolId: actor.schoolId,
        caseId,
        target: CHANNEL_TARGET,
        platform: 'google_chat',
        conversationId: fresh.card.conversationId,
        activityId: fresh.card.activityId,
        renderedVersion: fresh.summary.version,
      });
      return updateThisMessage({ text: caseCardText(fresh), ...cardMessage(CASE_CARD_ID, caseCard(this.#kit, fresh, timeZone)) });
    }
    // Pressed on a 1:1 notice: say what was done there, and the space's card follows through the outbox.
    return replyWithMessage({ text: `Done: ${fresh?.summary.reference ?? 'the case'} is ${describeAction(result.action)}.` });
  }

  /** A case form sent from its dialog: the dialog closes (the card follows through the outbox), or comes back with what to fix. */
  async #submitCaseForm(context: ChatActionContext, form: CaseFormName, command: (values: Record<string, string | undefined>) => Record<string, unknown>): Promise<ChatResponse> {
    const { actor, event } = context;
    const caseId = this.#caseId(context);
    const values: Record<string, string | undefined> = Object.fromEntries(Object.values(CASE_FORM_INPUTS).map((name) => [name, formValue(event, name)]));
    try {
      const result = await performCaseAction(this.#deps, { actor, caseId, command: command(values) });
      return closeDialog(result.message ?? 'Saved. The case card shows it in a moment.');
    } catch (error) {
      if (!isAppError(error) || error.code !== 'invalid_input') throw error;
      const caseContext = await this.#caseContext(actor, caseId);
      const message = [error.userMessage, ...error.fields.map((field) => field.message)].filter((text, index, all) => all.indexOf(text) === index).join(' ');
      const kept = Object.fromEntries(Object.entries(values).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
      return updateDialog(caseFormCard(this.#kit, { form, context: caseContext, values: kept, error: `${message} What you typed is still here.` }));
    }
  }

  // ---- failures ------------------------------------------------------------------------------------

  /** A failure answered in words: in the dialog when there is one, privately in a space, plainly in a DM. */
  #failure(event: ChatEvent, error: unknown): ChatResponse {
    const known = isAppError(error);
    const fault = known && error.code === 'unavailable';
    // Never the event's text or form inputs: they may hold concern details.
    this.#logger[fault ? 'warn' : known ? 'info' : 'error'](
      { event: eventKind(event), action: event.commonEventObject.parameters?.[ACTION_PARAMETER], code: known ? error.code : 'internal', err: known && !fault ? undefined : { message: (error as Error)?.message } },
      'google chat event not completed',
    );
    const message = known ? error.userMessage : 'Something went wrong on our side and nothing was changed. Please try again in a minute.';
    const payload = event.chat.buttonClickedPayload ?? event.chat.appCommandPayload;
    if (payload?.isDialogEvent) {
      const card = messageCard('DSL Desk', message);
      return payload.dialogEventType === 'SUBMIT_DIALOG' ? updateDialog(card) : openDialog(card);
    }
    const space = spaceOf(event);
    const inSpace = space && !isDirectMessage(space);
    return replyWithMessage({ text: message, ...(inSpace ? { privateMessageViewer: { name: event.chat.user.name } } : {}) });
  }
}

function given(fields: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

function describeAction(action: string): string {
  if (action === 'acknowledge') return 'acknowledged';
  if (action === 'assign') return 'assigned';
  return 'updated';
}

/** "A pattern for a pupil" as the DSL space shows it: the reason and the references, no name, no detail. */
export function pupilPatternChatCard(kit: ChatCardKit, prepared: PupilPatternCardContext & { rule?: { days: number } }, pupilId: string, timeZone: string): GoogleCard {
  return pupilPatternCard(kit, pupilPatternViewOf(prepared, pupilId, timeZone));
}

export function cardMessage(cardId: string, card: GoogleCard) {
  return { cardsV2: [{ cardId, card }] };
}

function spaceOf(event: ChatEvent): ChatSpaceRef | undefined {
  const { chat } = event;
  return (
    chat.messagePayload?.space ??
    chat.messagePayload?.message.space ??
    chat.buttonClickedPayload?.space ??
    chat.buttonClickedPayload?.message?.space ??
    chat.appCommandPayload?.space ??
    chat.appCommandPayload?.message?.space ??
    chat.addedToSpacePayload?.space ??
    chat.widgetUpdatedPayload?.space
  );
}

/** The app's DM with one person (the add-on format names it DIRECT_MESSAGE; older events say DM). */
export function isDirectMessage(space: ChatSpaceRef | undefined): boolean {
  if (!space) return false;
  return space.spaceType === 'DIRECT_MESSAGE' || space.type === 'DM' || space.singleUserBotDm === true;
}

/** A space as a conversation address: the space name is the conversation (and the channel, for the DSL space). */
export function spaceAddress(space: ChatSpaceRef, options: { channel: boolean }): ConversationAddress {
  return { platform: 'google_chat', conversationId: space.name, serviceUrl: '', ...(options.channel ? { channelId: space.name } : {}) };
}

function eventKind(event: ChatEvent): string {
  const { chat } = event;
  if (chat.buttonClickedPayload) return chat.buttonClickedPayload.isDialogEvent ? `dialog:${chat.buttonClickedPayload.dialogEventType ?? ''}` : 'button';
  if (chat.appCommandPayload) return 'command';
  if (chat.messagePayload) return 'message';
  if (chat.addedToSpacePayload) return 'added';
  return 'other';
}

/** The form's school choice, for someone in two or more schools of a trust; nothing for everyone else. */
function schoolChoiceOf(actor: Actor, value?: string, error?: string): Pick<ChatConcernFormView, 'school'> {
  if (!actor.memberships || actor.memberships.length < 2) return {};
  return { school: { choices: actor.memberships.map((m) => ({ title: m.schoolName, value: m.schoolId })), ...(value ? { value } : {}), ...(error ? { error } : {}) } };
}

/**
 * A write made outside the outbox (the receipt after a report): when Chat's pacing has no slot for it yet, or Chat
 * asks to slow down, it waits as told and tries again, a few times, rather than being dropped.
 */
async function postWhenPaced<T>(write: () => Promise<T>, attempts = 5): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await write();
    } catch (error) {
      const waitMs =
        error instanceof DeferDelivery ? error.until.getTime() - Date.now()
        : error instanceof ChatCallError && error.retryable ? (error.retryAfterMs ?? 1_000 * attempt)
        : undefined;
      if (waitMs === undefined || attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(Math.max(waitMs, 50), 30_000)));
    }
  }
}
