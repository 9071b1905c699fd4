/**
 * Every Adaptive Card the Teams bot sends. Each render function takes a plain view and returns the
 * card as JSON (Adaptive Cards 1.5), filled from a template with adaptivecards-templating.
 */
export { renderWelcomeCard, renderReceiptCard, renderMyReportsCard, renderRestrictedNoticeCard, renderNotificationCard, renderChannelSetupCard, renderErrorCard } from './simple-cards.ts';
export { renderConcernForm } from './concern-form-card.ts';
export { renderChannelCaseCard, MAX_REFRESH_USER_IDS } from './channel-case-card.ts';
export { renderCaseDetailCard } from './case-detail-card.ts';
export { aupPolicyViewOf, renderAupCard, renderAupSignedCard, policySummary, DEFAULT_ACKNOWLEDGEMENT_WORDING, type AupCardView, type AupPolicyView, type AupSignedView } from './aup-card.ts';
export { CARD_SCHEMA_URL, CARD_VERSION, type CardJson } from './template.ts';
export {
  caseDetailViewFrom,
  channelCaseViewFrom,
  protocolStepsOf,
  restrictedNoticeViewFrom,
  UNKNOWN_PERSON,
  type CaseDetailView,
  type ChannelCardContext,
  type ChannelCaseView,
  type ChannelSetupView,
  type ConcernFormView,
  type MyReportsView,
  type NotificationView,
  type PersonNames,
  type ProtocolStepView,
  type ReceiptView,
  type RestrictedNoticeView,
} from './views.ts';
export { formErrors, readConcernForm, FORM_LEVEL_ERROR, CONCERN_FORM_INPUT_IDS, type ConcernFormValues, type ConcernFormInputId, type FormIssue } from './concern-form.ts';
export * from './verbs.ts';
export { renderPupilPatternCard, type PupilPatternView } from './pupil-pattern-card.ts';
export { renderPupilChronologyCard } from './pupil-chronology-card.ts';
