import { ActivityTypes, type Activity, type TurnContext } from 'botbuilder';
import { acknowledgeAup } from '../../src/app/aup/acknowledge-aup.ts';
import { readSchoolTimeZone } from '../../src/app/organisations/read-school-time-zone.ts';
import { DEFAULT_TIME_ZONE } from '../../src/domain/time-zone.ts';
import type { AppDeps } from '../../src/app/deps.ts';
import { getCase } from '../../src/app/cases/get-case.ts';
import { performCaseAction } from '../../src/app/cases/perform-case-action.ts';
import { listMyReports } from '../../src/app/cases/list-my-reports.ts';
import { noteCaseCardWorked } from '../../src/app/cases/note-case-card-worked.ts';
import { prepareCaseCard } from '../../src/app/cases/prepare-case-card.ts';
import { readAupForSigning } from '../../src/app/aup/read-current-aup.ts';
import { rememberChatUser } from '../../src/app/people/remember-chat-user.ts';
import { reportConcern } from '../../src/app/cases/report-concern.ts';
import { useChannelForCases } from '../../src/app/cases/use-channel-for-cases.ts';
import { concernSchema, type CaseSource } from '../../src/domain/concern.ts';
import { AppError, isAppError } from '../../src/domain/errors.ts';
import { actorForSchool, type Actor } from '../../src/domain/roles.ts';
import type { Logger } from '../../src/logger.ts';
import { caseDetailCardFor, channelCardFor, pupilChronologyCardFor, pupilPatternCardFor, type CardJson } from './case-cards.ts';
import {
  aupPolicyViewOf,
  renderAupCard,
  renderAupSignedCard,
  renderChannelSetupCard,
  renderConcernForm,
  renderErrorCard,
  renderMyReportsCard,
  renderReceiptCard,
  renderWelcomeCard,
  type ConcernFormView,
} from './cards/index.ts';
import { formErrors, pupilChoiceTitle, readConcernForm, PUPIL_DATASET, STAFF_DATASET } from './cards/concern-form.ts';
import { searchStaff } from '../../src/app/people/search-staff.ts';
import { searchPupils } from '../../src/app/pupils/search-pupils.ts';
import { namePickedPupils } from '../../src/app/pupils/name-picked-pupils.ts';
import { listPupilChoices } from '../../src/app/pupils/list-pupil-choices.ts';
import { acknowledgePupilPattern } from '../../src/app/pupils/acknowledge-pupil-pattern.ts';
import { getPupilChronology } from '../../src/app/pupils/get-pupil-chronology.ts';
import { preparePupilPatternCard } from '../../src/app/pupils/prepare-pupil-pattern-card.ts';
import { readPatternWindow } from '../../src/app/pupils/read-pattern-window.ts';
import { AUP_INPUTS, AUP_SIGN, PUPIL_OPEN, PUPIL_PATTERN_ACKNOWLEDGE, CASE_OPEN, EMAIL_DECIDE_VERDICT, EMAIL_FORWARD, EMAIL_FORWARD_NCSC, EMAIL_REMOVE, EMAIL_TELL_REPORTERS } from './cards/verbs.ts';
import { sendToSendersPersonalChat } from './personal-chat.ts';
import { actorFromActivity, addressOf, isPersonalChat, tenantOf } from './teams-identity.ts';
import { trimTrailing } from '../../src/domain/text.ts';

const CARD = 'application/vnd.microsoft.card.adaptive';
/** The body types of an answer to Teams' `application/search` invoke (Adaptive Card dynamic typeahead). */
const SEARCH_RESPONSE = 'application/vnd.microsoft.search.searchResponse';
const SEARCH_ERROR = 'application/vnd.microsoft.error';
const MESSAGE = 'application/vnd.microsoft.activity.message';

export interface TeamsBotOptions {
  deps: AppDeps;
  logger: Logger;
  newFormId: () => string;
  /** The read-only page of a policy version ("Read the full policy"). */
  policyPageUrl: (schoolId: string, policyId: string) => string;
  /**
   * The local sandbox only: the form's child lists also offer the demo school's pupils, because the Agents
   * Playground has no typeahead search. Never in a real school, whose staff find a child by searching.
   */
  listPupilsOnForm?: boolean;
}

type InvokeBody = Record<string, unknown>;

/**
 * Turns Teams activities into use-case calls and the results back into cards. Every decision about
 * who may do what is made by the use cases against our own records; this file only translates.
 */
export class TeamsBot {
  readonly #deps: AppDeps;
  readonly #logger: Logger;
  readonly #newFormId: () => string;
  readonly #policyPageUrl: (schoolId: string, policyId: string) => string;
  readonly #listPupilsOnForm: boolean;

  constructor(options: TeamsBotOptions) {
    this.#listPupilsOnForm = options.listPupilsOnForm === true;
    this.#deps = options.deps;
    this.#logger = options.logger;
    this.#newFormId = options.newFormId;
    this.#policyPageUrl = options.policyPageUrl;
  }

  async run(context: TurnContext): Promise<void> {
    const { activity } = context;
    if (activity.type === ActivityTypes.Invoke) {
      const body = await this.#invoke(context).catch((error: unknown) => this.#invokeFailure(context, error));
      await context.sendActivity({ type: ActivityTypes.InvokeResponse, value: { status: 200, body } });
      return;
    }
    try {
      if (activity.type === ActivityTypes.Message) await this.#message(context);
      else if (activity.type === ActivityTypes.ConversationUpdate || activity.type === ActivityTypes.InstallationUpdate) await this.#installed(context);
    } catch (error) {
      this.#log(context, error);
      await context.sendActivity({ attachments: [attachment(renderErrorCard(userMessageOf(error)))] });
    }
  }

  // ---- personal chat and channel messages ---------------------------------------------------------

  async #installed(context: TurnContext): Promise<void> {
    const { activity } = context;
    const addedBot = activity.type === ActivityTypes.InstallationUpdate ? activity.action !== 'remove' : (activity.membersAdded ?? []).some((m) => m.id === activity.recipient.id);
    if (!addedBot || !isPersonalChat(context)) return;
    const actor = await this.#actor(context);
    // Teams (and the Agents Playground) repeat install events: only the first one gets a welcome.
    if (actor.firstPersonalContact) await context.sendActivity({ attachments: [attachment(renderWelcomeCard())] });
  }

  async #message(context: TurnContext): Promise<void> {
    const { activity } = context;
    const submitted = activity.value as Record<string, unknown> | undefined;
    if (submitted && typeof submitted.verb === 'string') {
      // Older clients send Action.Submit (the fallback of every Action.Execute) as a message with a value.
      const { verb, ...data } = submitted;
      if (!isPersonalChat(context)) {
        // A reply in a channel or group chat is seen by everyone in it: the action takes effect, the
        // channel card updates through the outbox, and nothing but a short status is posted here.
        if (verb === CASE_OPEN) {
          await context.sendActivity('Case details open only in your own view. Update Teams to use "Open case" here, or open the case from your chat with DSL Desk.');
          return;
        }
        const outcome = await this.#action(context, verb, data).catch((error: unknown) => this.#invokeFailure(context, error));
        if (outcome.type !== CARD) await context.sendActivity({ text: String(outcome.value) });
        return;
      }
      const body = await this.#action(context, verb, data).catch((error: unknown) => this.#invokeFailure(context, error));
      await context.sendActivity(body.type === CARD ? { attachments: [attachment(body.value as CardJson)] } : { text: String(body.value) });
      return;
    }
    const actor = await this.#actor(context);
    const command = normaliseCommand(context);
    if (/^use this channel( for cases)?$/.test(command)) {
      const channel = await useChannelForCases(this.#deps, { actor, address: addressOf(context) }).then(
        () => ({ ok: true, message: 'Done. New cases will be posted in this channel, with no names or details on the card. Use "Open case" to see a case.' }),
        (error: unknown) => ({ ok: false, message: userMessageOf(error) }),
      );
      await context.sendActivity({ attachments: [attachment(renderChannelSetupCard(channel))] });
      return;
    }
    if (!isPersonalChat(context)) {
      await context.sendActivity('To report a concern, open a chat with DSL Desk. DSLs: type "use this channel for cases" here to receive cases in this channel.');
      return;
    }
    if (/^(report|report a concern|new report|concern|raise a concern)\b/.test(command)) {
      await context.sendActivity({ attachments: [attachment(renderConcernForm({ formId: this.#newFormId(), values: {}, errors: {}, ...schoolChoiceOf(actor), ...(await this.#listedPupils(actor)) }))] });
    } else if (/^(my reports|my cases|reports|status)$/.test(command)) {
      await context.sendActivity({ attachments: [attachment(await this.#myReports(actor))] });
    } else {
      await context.sendActivity({ attachments: [attachment(renderWelcomeCard())] });
    }
  }

  // ---- invokes: card actions and the message action -----------------------------------------------

  async #invoke(context: TurnContext): Promise<InvokeBody> {
    const { activity } = context;
    const value = (activity.value ?? {}) as Record<string, any>;
    switch (activity.name) {
      case 'adaptiveCard/action': {
        const action = (value.action ?? {}) as { verb?: string; data?: Record<string, unknown> };
        return this.#action(context, action.verb ?? '', action.data ?? {});
      }
      case 'composeExtension/fetchTask':
        try {
          const actor = await this.#actor(context);
          return taskContinue(asTaskForm(renderConcernForm({ formId: this.#newFormId(), values: {}, errors: {}, ...prefillFrom(value.messagePayload), ...schoolChoiceOf(actor), ...(await this.#listedPupils(actor)) })));
        } catch (error) {
          this.#log(context, error);
          return taskMessage(userMessageOf(error));
        }
      case 'composeExtension/submitAction':
        try {
          return await this.#submitReportedMessage(context, value);
        } catch (error) {
          // The dialog stays open with everything they typed, and says what went wrong.
          this.#log(context, error);
          const data = (value.data ?? {}) as Record<string, unknown>;
          const formId = typeof data.formId === 'string' && data.formId ? data.formId : this.#newFormId();
          const { values } = readConcernForm(data, await this.#schoolTimeZone(context));
          return taskContinue(asTaskForm(renderConcernForm({ formId, values, errors: {}, formMessage: `${userMessageOf(error)} What you typed is still here.`, ...prefillFrom(value.messagePayload) })));
        }
      case 'application/search':
        return this.#search(context, value);
      default:
        // Invokes DSL Desk does not use (for example link unfurling) get an empty success.
        return {};
    }
  }

  /**
   * Teams' typeahead on the concern form ("Is this about a member of staff?"): the people of the reporter's
   * school from our own records, names and ids only, in Teams' search response format. Anything else (another
   * dataset, a failure) is answered in Teams' error format, so the box says so instead of spinning.
   */
  async #search(context: TurnContext, value: Record<string, any>): Promise<InvokeBody> {
    if (value.dataset !== STAFF_DATASET && value.dataset !== PUPIL_DATASET) return searchError('NotFound', 'DSL Desk has nothing to search here.');
    try {
      const actor = await this.#actor(context);
      const queryText = typeof value.queryText === 'string' ? value.queryText : '';
      const top = Number(value.queryOptions?.top);
      const limit = Number.isInteger(top) && top > 0 ? { limit: top } : {};
      if (value.dataset === PUPIL_DATASET) {
        // "A child involved": pupils on roll, as a reporter may see them (name, year and class; never the date of birth).
        const pupils = await searchPupils(this.#deps, { actor, query: queryText, ...limit });
        return { type: SEARCH_RESPONSE, value: { results: pupils.map((pupil) => ({ title: pupilChoiceTitle(pupil), value: pupil.id })) } };
      }
      const people = await searchStaff(this.#deps, { actor, query: queryText, ...limit });
      return { type: SEARCH_RESPONSE, value: { results: people.map((person) => ({ title: person.name, value: person.id })) } };
    } catch (error) {
      this.#log(context, error);
      return searchError('InternalError', userMessageOf(error));
    }
  }

  async #action(context: TurnContext, verb: string, data: Record<string, unknown>): Promise<InvokeBody & { type?: string; value?: unknown }> {
    const actor = await this.#actor(context);
    const caseId = typeof data.caseId === 'string' ? data.caseId : undefined;
    switch (verb) {
      case 'report.start':
        return cardBody(renderConcernForm({ formId: this.#newFormId(), values: {}, errors: {}, ...schoolChoiceOf(actor), ...(await this.#listedPupils(actor)) }));
      case 'report.submit':
        return cardBody(formSubmitCard(await this.#submitForm(actor, data)));
      case 'reports.mine':
        return cardBody(await this.#myReports(actor));
      case 'channel.use_for_cases':
        await useChannelForCases(this.#deps, { actor, address: addressOf(context) });
        return cardBody(renderChannelSetupCard({ ok: true, message: 'New cases will be posted in this channel.' }));
      case AUP_SIGN:
        return this.#signPolicy(context, actor, data);
      case PUPIL_PATTERN_ACKNOWLEDGE:
        return this.#acknowledgePattern(actor, data);
      case PUPIL_OPEN:
        return this.#openPupil(context, actor, data);
    }
    if (!caseId) throw new AppError('invalid_input', 'This button is out of date. Type "report" to start again.');
    const target = { actor, caseId };
    // A DSL pressing a button or sending a form on the card in the channel is working it: edits of the shared
    // message wait until the card has been quiet, so the forms in their own view are not re-rendered under
    // them. Teams' own automatic refresh (fetching a person's view) is not someone working the card.
    const automatic = (context.activity.value as { trigger?: unknown } | undefined)?.trigger === 'automatic';
    if (!automatic && !isPersonalChat(context)) await noteCaseCardWorked(this.#deps, target);
    switch (verb) {
      case 'case.refresh':
        // Teams asking for this person's view of the card (automatically, or "Show my options"): an access event.
        return cardBody(await this.#caseCardFor(actor, caseId, context, { trigger: automatic ? 'automatic' : 'manual' }));
      case 'case.open': {
        // Authorised and audited by getCase, as everywhere: reading the record writes its access event.
        const view = await getCase(this.#deps, target);
        const card = caseDetailCardFor(view);
        if (isPersonalChat(context)) return cardBody(card);
        return this.#openCasePrivately(context, card, view.case.reference);
      }
      default: {
        const command = caseCommandFromCard(verb, data, actor);
        if (!command) throw new AppError('invalid_input', 'This button is out of date. Open the case again.');
        const result = await performCaseAction(this.#deps, { ...target, command });
        // An action whose effect is not on the card yet (an email search, a forward) is answered in words.
        if (result.message) return { statusCode: 200, type: MESSAGE, value: result.message };
      }
    }
    return cardBody(await this.#caseCardFor(actor, caseId, context));
  }

  /**
   * "Acknowledge" on the pattern card: the use case decides who may (DSLs and deputies) and audits it; the answer is
   * the card as it is now, saying who acknowledged it and when, still without a name or any detail.
   */
  async #acknowledgePattern(actor: Actor, data: Record<string, unknown>): Promise<InvokeBody & { type: string; value: unknown }> {
    const { alertId, pupilId } = patternButtonData(data);
    await acknowledgePupilPattern(this.#deps, { actor, alertId });
    const prepared = await preparePupilPatternCard(this.#deps, { schoolId: actor.schoolId, pupilId, alertId, platform: 'teams' });
    if (!prepared) throw new AppError('not_found', 'That pattern was not found. Open the pupil from DSL Desk.');
    const rule = await readPatternWindow(this.#deps, { schoolId: actor.schoolId });
    return cardBody(pupilPatternCardFor({ ...prepared, rule }, pupilId, await readSchoolTimeZone(this.#deps, { schoolId: actor.schoolId })));
  }

  /**
   * "Open pupil" on the pattern card: the child's chronology (authorised and audited by the use case), to the DSL
   * alone: in their chat with DSL Desk, never as an answer in the channel, the same as "Open case".
   */
  async #openPupil(context: TurnContext, actor: Actor, data: Record<string, unknown>): Promise<InvokeBody & { type: string; value: unknown }> {
    const { pupilId } = patternButtonData(data);
    const chronology = await getPupilChronology(this.#deps, { actor, pupilId });
    const timeZone = await readSchoolTimeZone(this.#deps, { schoolId: actor.schoolId });
    const card = pupilChronologyCardFor(chronology, timeZone);
    if (isPersonalChat(context)) return cardBody(card);
    try {
      await sendToSendersPersonalChat(context, { attachments: [attachment(card)], summary: 'A pupil’s chronology' });
      return { statusCode: 200, type: MESSAGE, value: 'The pupil’s chronology is in your chat with DSL Desk.' };
    } catch (error) {
      this.#logger.warn({ activityName: context.activity.name, code: 'personal_chat_unavailable', err: { message: (error as Error)?.message } }, 'open pupil: could not reach the personal chat');
      return { statusCode: 200, type: MESSAGE, value: 'DSL Desk could not open your chat with it. Open DSL Desk in a personal chat (Apps, then DSL Desk), then press "Open pupil" again.' };
    }
  }

  /**
   * "Open case" pressed anywhere but the person's own chat with DSL Desk (the case channel, a group chat):
   * the record goes to them alone, in their 1:1 chat, and the button is answered with a short message. Never
   * with the card: in the channel an invoke's card answer can replace the shared card (the Playground shows
   * it to everyone), and the channel card must never carry the record.
   */
  async #openCasePrivately(context: TurnContext, card: CardJson, reference: string): Promise<InvokeBody & { type: string; value: unknown }> {
    try {
      await sendToSendersPersonalChat(context, { attachments: [attachment(card)], summary: `Case ${reference}` });
      return { statusCode: 200, type: MESSAGE, value: `The case record for ${reference} is in your chat with DSL Desk.` };
    } catch (error) {
      // Never the record here: say how to get it instead. Logged without content.
      this.#logger.warn(
        { activityName: context.activity.name, conversationType: context.activity.conversation?.conversationType, code: 'personal_chat_unavailable', err: { message: (error as Error)?.message } },
        'open case: could not reach the personal chat',
      );
      return {
        statusCode: 200,
        type: MESSAGE,
        value: `DSL Desk could not open your chat with it to show ${reference}. Open DSL Desk in a personal chat (Apps, then DSL Desk), then press "Open case" again.`,
      };
    }
  }

  /**
   * The channel card as this person should see it: with the actions only if our records say they may act.
   * Someone who may not see the case gets the channel's own card only when they are in the case channel,
   * where that card already sits; anywhere else the case is "not found".
   */
  async #caseCardFor(actor: Actor, caseId: string, turn: TurnContext, recordView?: { trigger: 'automatic' | 'manual' }): Promise<CardJson> {
    const context = await prepareCaseCard(this.#deps, { schoolId: actor.schoolId, caseId, platform: 'teams', viewer: actor, ...(recordView ? { recordView } : {}) });
    const inCaseChannel = context?.channel?.address.conversationId === addressOf(turn).conversationId;
    if (!context || (!context.viewerMaySee && !inCaseChannel)) throw new AppError('not_found', 'That case was not found.');
    return channelCardFor(context, { forDsl: context.viewerMayAct, inChannel: !context.viewerMaySee });
  }

  /**
   * "Sign" on a policy card. The signature is the person who pressed it, as our records know them from
   * their Teams identity, whoever the card was first sent to. The answer replaces the card: signed (also
   * when they had signed already), back with their input and what to fix, or the current version to sign
   * when a newer one has replaced the card's.
   */
  async #signPolicy(context: TurnContext, actor: Actor, data: Record<string, unknown>): Promise<InvokeBody & { type: string; value: unknown }> {
    const policyId = typeof data.policyId === 'string' && data.policyId ? data.policyId : undefined;
    if (!policyId) throw new AppError('invalid_input', 'This button is out of date. Ask the school office to send you the policy again.');
    const rawAgreed = data[AUP_INPUTS.agreed];
    const rawName = data[AUP_INPUTS.typedName];
    const agreed = rawAgreed === true || rawAgreed === 'true';
    const typedName = typeof rawName === 'string' ? rawName : '';
    const tenantId = tenantOf(context);
    const objectId = context.activity.from?.aadObjectId;
    const read = () => readAupForSigning(this.#deps, { schoolId: actor.schoolId, policyId });
    const cardOf = (policy: Parameters<typeof aupPolicyViewOf>[0]) => aupPolicyViewOf(policy, this.#policyPageUrl(actor.schoolId, policy.id));
    try {
      const { acknowledgement } = await acknowledgeAup(this.#deps, {
        actor,
        policyId,
        signature: { agreed, typedName },
        surface: 'teams',
        ...(tenantId && objectId ? { directoryIdentity: { provider: 'entra' as const, tenantId, objectId } } : {}),
      });
      const { policy, timeZone } = await read();
      return cardBody(
        renderAupSignedCard({
          title: policy.title,
          version: acknowledgement.policyVersion,
          sha256: acknowledgement.sha256,
          signedAt: acknowledgement.signedAt,
          typedName: acknowledgement.typedName,
          wording: acknowledgement.wording,
          policyUrl: this.#policyPageUrl(actor.schoolId, policy.id),
          timeZone,
        }),
      );
    } catch (error) {
      if (!isAppError(error)) throw error;
      if (error.code === 'invalid_input') {
        const { policy } = await read();
        const fieldError = (path: string) => error.fields.find((field) => field.path === path)?.message;
        const agreedError = fieldError(AUP_INPUTS.agreed);
        const nameError = fieldError(AUP_INPUTS.typedName);
        return cardBody(
          renderAupCard({
            ...cardOf(policy),
            notice: `${error.userMessage} What you typed is still here.`,
            values: { agreed, typedName },
            errors: { ...(agreedError ? { agreed: agreedError } : {}), ...(nameError ? { typedName: nameError } : {}) },
          }),
        );
      }
      if (error.code === 'conflict') {
        const { current } = await read();
        if (current) return cardBody(renderAupCard({ ...cardOf(current), notice: error.userMessage }));
      }
      throw error;
    }
  }

  /**
   * The concern form sent: either the form again (everything typed kept, a message by each field to fix) or
   * the receipt. A result, not a card: each surface renders it its own way (a card, a dialog, a message).
   */
  async #submitForm(actor: Actor, data: Record<string, unknown>, source?: CaseSource): Promise<FormSubmitResult> {
    const formId = typeof data.formId === 'string' && data.formId ? data.formId : this.#newFormId();
    // The form's date and time are the school's local time.
    const { values, concern, children } = readConcernForm(data, await readSchoolTimeZone(this.#deps, { schoolId: actor.schoolId }));
    const parsed = concernSchema.safeParse(concern);
    const chosenSchool = typeof data.school === 'string' && data.school ? data.school : undefined;
    const needsSchool = (actor.memberships?.length ?? 0) > 1 && !actor.memberships?.some((m) => m.schoolId === chosenSchool);
    // The form again, everything typed kept: the people and children picked show by name, not id.
    const again = async (errors: Record<string, string>, formMessage: string, schoolError?: string): Promise<FormSubmitResult> => {
      const chosen = values.subjectPersonId ? (await searchStaff(this.#deps, { actor, personId: values.subjectPersonId }).catch(() => []))[0] : undefined;
      const pupilIds = children.flatMap((child) => (child.pupilId ? [child.pupilId] : []));
      const listed = (await this.#listedPupils(actor)).childChoices ?? [];
      const named = pupilIds.length > 0 ? await namePickedPupils(this.#deps, { actor, pupilIds }).catch(() => []) : [];
      const picked = [...named.map((pupil) => ({ title: pupilChoiceTitle(pupil), value: pupil.id })), ...listed.filter((choice) => !pupilIds.includes(choice.value))];
      return {
        outcome: 'needs_changes',
        form: {
          formId,
          values,
          ...(chosen ? { subjectChoice: { title: chosen.name, value: chosen.id } } : {}),
          ...(picked.length > 0 ? { childChoices: picked, ...(listed.length > 0 ? { listChildren: true } : {}) } : {}),
          errors,
          formMessage,
          ...(source ? prefillFrom(sourceAsPayload(source)) : {}),
          ...schoolChoiceOf(actor, chosenSchool, schoolError),
        },
      };
    };
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
        channel: 'teams',
        idempotencyKey: `teams-form:${formId}`,
        ...(source ? { source } : {}),
      });
    } catch (error) {
      // A child who is not (or no longer) on the school's roll, a name too long: the form back with what to fix.
      if (!isAppError(error) || error.code !== 'invalid_input') throw error;
      return again(formErrors(error.fields.map((field) => ({ path: field.path.split('.'), message: field.message }))), `${error.userMessage} What you typed is still here.`);
    }
    return { outcome: 'reported', reference: receipt.reference, receivedAt: receipt.receivedAt, urgent: parsed.data.childAtImmediateRisk, joinedExisting: receipt.joinedExisting };
  }

  async #submitReportedMessage(context: TurnContext, value: Record<string, any>): Promise<InvokeBody> {
    const actor = await this.#actor(context);
    const source = sourceFromPayload(value.messagePayload, context);
    if (!source) return taskMessage('Open "Report to DSL" again from the message you want to report.');
    const result = await this.#submitForm(actor, (value.data ?? {}) as Record<string, unknown>, source);
    if (result.outcome === 'needs_changes') return taskContinue(asTaskForm(renderConcernForm(result.form)));
    return taskMessage(`Thank you. Your report ${result.reference} has gone to the DSL. You will get a message when it is picked up.`);
  }

  async #myReports(actor: Actor): Promise<CardJson> {
    const reports = await listMyReports(this.#deps, { actor, limit: 20 });
    return renderMyReportsCard({ reports: reports.map((r) => ({ reference: r.reference, status: r.status, reportedAt: r.reportedAt, updatedAt: r.updatedAt })) });
  }

  /** The sandbox's form lists the demo school's pupils (see listPupilsOnForm); everywhere else, nothing. */
  async #listedPupils(actor: Actor): Promise<Pick<ConcernFormView, 'childChoices' | 'listChildren'>> {
    if (!this.#listPupilsOnForm) return {};
    const pupils = await listPupilChoices(this.#deps, { actor }).catch(() => []);
    return pupils.length > 0 ? { childChoices: pupils.map((pupil) => ({ title: pupilChoiceTitle(pupil), value: pupil.id })), listChildren: true } : {};
  }

  /** The sender's school's time zone, or the default when the sender cannot be identified. */
  async #schoolTimeZone(context: TurnContext): Promise<string> {
    try {
      return await readSchoolTimeZone(this.#deps, { schoolId: (await this.#actor(context)).schoolId });
    } catch {
      return DEFAULT_TIME_ZONE;
    }
  }

  async #actor(context: TurnContext): Promise<Actor & { firstPersonalContact: boolean }> {
    const actor = await actorFromActivity(this.#deps, context);
    const { activity } = context;
    const remembered = await rememberChatUser(this.#deps, {
      actor,
      platform: 'teams',
      userId: activity.from.id,
      ...(isPersonalChat(context) ? { personalConversation: addressOf(context) } : {}),
    });
    return { ...actor, firstPersonalContact: remembered.firstPersonalContact };
  }

  #invokeFailure(context: TurnContext, error: unknown): { statusCode: number; type: string; value: unknown } {
    this.#log(context, error);
    // A card action answered with a message shows it to the person who clicked, and leaves the card as it was.
    return { statusCode: 200, type: MESSAGE, value: userMessageOf(error) };
  }

  #log(context: TurnContext, error: unknown): void {
    const { activity } = context;
    const known = isAppError(error);
    // A passing fault (the database away) is logged with its internal message, which names the driver's error.
    const fault = known && error.code === 'unavailable';
    // Never the activity's text or value: they may hold concern details.
    this.#logger[fault ? 'warn' : known ? 'info' : 'error'](
      { activityType: activity.type, activityName: activity.name, conversationType: activity.conversation?.conversationType, code: known ? error.code : 'internal', err: known && !fault ? undefined : { message: (error as Error)?.message } },
      'teams activity not completed',
    );
  }
}

/** What the concern form's submit came to: the form to fix, or the report made. */
type FormSubmitResult =
  | { outcome: 'needs_changes'; form: ConcernFormView }
  | { outcome: 'reported'; reference: string; receivedAt: string; urgent: boolean; joinedExisting: boolean };

/** The card answering the concern form in a chat: the one place a submit's result becomes a card. */
function formSubmitCard(result: FormSubmitResult): CardJson {
  if (result.outcome === 'needs_changes') return renderConcernForm(result.form);
  return renderReceiptCard({ reference: result.reference, receivedAt: result.receivedAt, urgent: result.urgent, joinedExisting: result.joinedExisting });
}

/**
 * A case card's button or form as a case command; undefined for a verb that is not a case action. Only
 * the card's field names are translated here: the command is validated by performCaseAction.
 */
function caseCommandFromCard(verb: string, data: Record<string, unknown>, actor: Actor): Record<string, unknown> | undefined {
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const optionalText = (value: unknown) => (typeof value === 'string' && value.trim() ? value : undefined);
  const given = (fields: Record<string, unknown>) => Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
  switch (verb) {
    case 'case.acknowledge':
      return { action: 'acknowledge' };
    case 'case.assign_to_me':
      return { action: 'assign', assigneeId: actor.personId };
    case 'case.assign':
      return given({ action: 'assign', assigneeId: text(data.assigneeId)?.trim() ?? '' });
    case 'case.add_note':
      return given({ action: 'note', text: text(data.note) });
    case 'case.tick_steps':
      return { action: 'tick_steps', steps: Object.entries(data).filter(([key, ticked]) => key.startsWith('step:') && ticked === 'true').map(([key]) => key.slice('step:'.length)) };
    case 'case.escalate':
      return given({ action: 'escalate', agency: data.agency, reference: optionalText(data.agencyReference) });
    case 'case.change_urgency':
      return given({ action: 'change_urgency', urgency: data.urgency, reason: text(data.urgencyReason) });
    case 'case.close':
      return given({ action: 'close', outcome: text(data.outcome) });
    case EMAIL_REMOVE:
      return { action: 'email_remove' };
    case EMAIL_FORWARD:
      return { action: 'email_forward', to: 'security' };
    case EMAIL_FORWARD_NCSC:
      return { action: 'email_forward', to: 'ncsc' };
    case EMAIL_DECIDE_VERDICT:
      return given({ action: 'email_verdict', verdict: data.verdict, reason: text(data.verdictReason) });
    case EMAIL_TELL_REPORTERS:
      return { action: 'email_tell_reporters' };
    default:
      return undefined;
  }
}

/** The pattern card's buttons carry the alert and the pupil's id (never a name). */
function patternButtonData(data: Record<string, unknown>): { alertId: string; pupilId: string } {
  const alertId = typeof data.alertId === 'string' ? data.alertId : '';
  const pupilId = typeof data.pupilId === 'string' ? data.pupilId : '';
  if (!alertId || !pupilId) throw new AppError('invalid_input', 'This button is out of date. Open the pupil from DSL Desk.');
  return { alertId, pupilId };
}

function attachment(card: CardJson) {
  return { contentType: CARD, content: card };
}

function cardBody(card: CardJson) {
  return { statusCode: 200, type: CARD, value: card };
}

function taskContinue(card: CardJson): InvokeBody {
  return { task: { type: 'continue', value: { title: 'Report to DSL', height: 'large', width: 'medium', card: attachment(card) } } };
}

function searchError(code: string, message: string): InvokeBody {
  return { type: SEARCH_ERROR, value: { code, message } };
}

function taskMessage(text: string): InvokeBody {
  return { task: { type: 'message', value: text } };
}

/** Task modules (the message action's dialog) take Action.Submit, not Action.Execute. */
function asTaskForm(card: CardJson): CardJson {
  const convert = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(convert);
    if (!node || typeof node !== 'object') return node;
    const entries = Object.entries(node as Record<string, unknown>).filter(([key]) => key !== 'fallback' && key !== 'refresh');
    const object = Object.fromEntries(entries.map(([key, value]) => [key, convert(value)]));
    if (object.type === 'Action.Execute') {
      const { verb, data, ...rest } = object as { verb?: string; data?: Record<string, unknown> };
      return { ...rest, type: 'Action.Submit', data: { ...(data ?? {}), verb } };
    }
    return object;
  };
  return convert(card) as CardJson;
}

interface MessagePayload {
  id?: string;
  createdDateTime?: string;
  linkToMessage?: string;
  body?: { content?: string; contentType?: string };
  from?: { user?: { displayName?: string; id?: string } };
}

function prefillFrom(payload: MessagePayload | undefined): { prefill?: { sourceToken: string; senderName?: string; sentAt?: string; link?: string } } {
  if (!payload?.id) return {};
  return {
    prefill: {
      sourceToken: payload.id,
      ...(payload.from?.user?.displayName ? { senderName: payload.from.user.displayName } : {}),
      ...(payload.createdDateTime ? { sentAt: payload.createdDateTime } : {}),
      ...(payload.linkToMessage ? { link: payload.linkToMessage } : {}),
    },
  };
}

function sourceAsPayload(source: CaseSource): MessagePayload {
  return { id: source.ref, ...(source.sentAt ? { createdDateTime: source.sentAt } : {}), ...(source.url ? { linkToMessage: source.url } : {}), ...(source.author ? { from: { user: { displayName: source.author } } } : {}) };
}

/** The reported message as a case source: its id joins repeated reports; its text is kept only inside the encrypted case. */
function sourceFromPayload(payload: MessagePayload | undefined, context: TurnContext): CaseSource | undefined {
  if (!payload?.id) return undefined;
  const link = payload.linkToMessage && /^https:\/\//.test(payload.linkToMessage) ? payload.linkToMessage : undefined;
  const text = payload.body?.content ? stripHtml(payload.body.content).slice(0, 50_000) : undefined;
  const sentAt = payload.createdDateTime && !Number.isNaN(Date.parse(payload.createdDateTime)) ? new Date(payload.createdDateTime).toISOString() : undefined;
  return {
    kind: 'teams_message',
    // The message id alone is unique only within its conversation; the link names both when Teams gives it.
    ref: link ?? `${context.activity.conversation?.id ?? ''}/${payload.id}`,
    ...(link ? { url: link } : {}),
    ...(payload.from?.user?.displayName ? { author: payload.from.user.displayName.slice(0, 300) } : {}),
    ...(sentAt ? { sentAt } : {}),
    ...(text ? { text } : {}),
  };
}

function stripHtml(html: string): string {
  return html.replace(/<br\s*\/?>/gi, '\n').replace(/<[^<>]+>/g, '').replace(/&nbsp;/g, ' ').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&').trim();
}

function normaliseCommand(context: TurnContext): string {
  const activity = context.activity as Activity;
  const text = (activity.text ?? '').replace(/<at>[^<]*<\/at>/gi, ' ');
  const command = text.replace(/\s+/g, ' ').trim().toLowerCase();
  return trimTrailing(command, '.!?');
}

function userMessageOf(error: unknown): string {
  if (isAppError(error)) return error.userMessage;
  return 'Something went wrong on our side and nothing was changed. Please try again in a minute.';
}

/** The form's school choice, for someone in two or more schools of a trust; nothing for everyone else. */
function schoolChoiceOf(actor: Actor, value?: string, error?: string): Pick<ConcernFormView, 'school'> {
  if (!actor.memberships || actor.memberships.length < 2) return {};
  return { school: { choices: actor.memberships.map((m) => ({ title: m.schoolName, value: m.schoolId })), ...(value ? { value } : {}), ...(error ? { error } : {}) } };
}
