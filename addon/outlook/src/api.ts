/**
 * DSL Desk's email-report API as the add-in calls it: fetch with a timeout, and every failure turned into
 * a problem a person can act on (offline, sign-in refused, too large, …). Pure apart from the injected fetch.
 */
import type { ReportChoice } from './choices.ts';
import { trimTrailing } from '../../../src/domain/text.ts';

export interface Receipt {
  caseId: string;
  reference: string;
  receivedAt: string;
  /** True when others reported the same email and this report joined their case. */
  joinedExisting: boolean;
}

export type ProblemKind = 'offline' | 'timeout' | 'signin' | 'refused' | 'forbidden' | 'too_large' | 'invalid' | 'rate_limited' | 'unavailable' | 'server';

export interface Problem {
  kind: ProblemKind;
  /** A sentence for the person. */
  message: string;
  /** Whether trying again, unchanged, may work. */
  retryable: boolean;
  status?: number;
  /** The server's error code, when it sent one. */
  code?: string;
}

export type Outcome = { ok: true; receipt: Receipt; repeat: boolean } | { ok: false; problem: Problem };

export class SignInProblem extends Error {
  override name = 'SignInProblem';
}

export type FetchLike = (url: string, init: { method: string; headers: Record<string, string>; body?: Uint8Array | string; signal?: AbortSignal }) => Promise<{
  status: number;
  ok: boolean;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
}>;

const DEFAULT_MESSAGES: Record<ProblemKind, string> = {
  offline: 'DSL Desk could not be reached: you may be offline. Nothing was sent. Check your connection and press Retry.',
  timeout: 'DSL Desk took too long to answer, so the report may not have arrived. Press Retry: a report that did arrive is not filed twice.',
  signin: 'DSL Desk could not confirm who you are, so nothing was sent. Press Retry; if it keeps happening, sign out of Outlook and in again, or tell your IT team.',
  refused: 'DSL Desk did not accept your sign-in, so nothing was sent. Press Retry; if it keeps happening, tell your IT team.',
  forbidden: 'Your account is not allowed to report emails to DSL Desk. Tell your DSL or IT team about this email directly.',
  too_large: 'This email is too large for DSL Desk to accept. Tell your DSL or IT team about it directly, or describe it in a report.',
  invalid: 'DSL Desk could not accept this report as it was sent. Tell your DSL or IT team about this email directly.',
  rate_limited: 'You have sent a lot of reports in a short time. Wait a minute, then press Retry; nothing you typed is lost.',
  unavailable: 'This way of reporting is not available at your school yet. Tell your DSL or IT team about this email directly.',
  server: 'Something went wrong at DSL Desk and the report was not saved. Press Retry in a moment; if it keeps happening, tell your DSL in person.',
};

/** The server's `{error:{code,message}}`, if the body is one. */
function serverError(body: unknown): { code?: string; message?: string } {
  if (!body || typeof body !== 'object') return {};
  const error = (body as { error?: unknown }).error;
  if (!error || typeof error !== 'object') return {};
  const { code, message } = error as { code?: unknown; message?: unknown };
  return { ...(typeof code === 'string' ? { code } : {}), ...(typeof message === 'string' && message.trim() ? { message: message.trim() } : {}) };
}

/**
 * Maps an HTTP error answer to a problem. For 400/401/403/413 the server's own message is shown (it says
 * what to do); other statuses get ours, since their text is not written for the reporter.
 */
export function problemFromResponse(status: number, body: unknown): Problem {
  const { code, message } = serverError(body);
  const make = (kind: ProblemKind, retryable: boolean, useServerMessage: boolean): Problem => ({
    kind,
    message: useServerMessage && message ? message : DEFAULT_MESSAGES[kind],
    retryable,
    status,
    ...(code ? { code } : {}),
  });
  if (status === 400 || status === 422) return make('invalid', false, true);
  if (status === 401) return make('refused', true, true);
  if (status === 403) return make('forbidden', false, true);
  if (status === 413) return make('too_large', false, true);
  if (status === 429) return make('rate_limited', true, true);
  if (status === 404 || status === 405 || status === 501) return make('unavailable', false, false);
  if (status === 408 || status === 504) return make('timeout', true, false);
  if (status === 409) return make('server', true, true);
  if (status === 503 && code && code !== 'internal') return make('unavailable', true, true);
  return make('server', true, false);
}

/** Maps a failure to reach the server (fetch threw) to a problem. */
export function problemFromFailure(error: unknown, online: boolean | undefined = undefined): Problem {
  if (error instanceof SignInProblem) return { kind: 'signin', message: error.message || DEFAULT_MESSAGES.signin, retryable: true };
  const name = (error as { name?: unknown } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return { kind: 'timeout', message: DEFAULT_MESSAGES.timeout, retryable: true };
  if (online === false) return { kind: 'offline', message: 'You are offline, so nothing was sent. Connect to the internet and press Retry; nothing you typed is lost.', retryable: true };
  return { kind: 'offline', message: DEFAULT_MESSAGES.offline, retryable: true };
}

export function isReceipt(body: unknown): body is Receipt {
  if (!body || typeof body !== 'object') return false;
  const { caseId, reference, receivedAt } = body as Record<string, unknown>;
  return typeof caseId === 'string' && typeof reference === 'string' && typeof receivedAt === 'string';
}

/** A generous timeout that grows with the upload: 30 s plus 1 s per 100 KB. */
export function timeoutFor(bytes: number): number {
  return 30_000 + Math.ceil(bytes / 100_000) * 1000;
}

export interface CallOptions {
  baseUrl: string;
  authHeaders: () => Promise<Record<string, string>>;
  idempotencyKey: string;
  fetch?: FetchLike;
  timeoutMs?: number;
  /** navigator.onLine where known, to tell "offline" from "server unreachable". */
  online?: () => boolean | undefined;
}

/** The sign-in headers for a call, or the sign-in problem to show instead of calling. */
async function signInHeaders(options: Pick<CallOptions, 'authHeaders'>): Promise<{ ok: true; headers: Record<string, string> } | { ok: false; problem: Problem }> {
  try {
    return { ok: true, headers: await options.authHeaders() };
  } catch (error) {
    return { ok: false, problem: problemFromFailure(error instanceof SignInProblem ? error : new SignInProblem(DEFAULT_MESSAGES.signin)) };
  }
}

/** A body's JSON, or undefined when it is empty or not JSON (a proxy's error page). */
function parseJson(text: string): unknown {
  try {
    return text ? JSON.parse(text) : undefined;
  } catch {
    return undefined;
  }
}

async function call(options: CallOptions, path: string, headers: Record<string, string>, body: Uint8Array | string): Promise<Outcome> {
  const doFetch = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
  const signedIn = await signInHeaders(options);
  if (!signedIn.ok) return signedIn;
  const auth = signedIn.headers;
  const size = typeof body === 'string' ? body.length : body.byteLength;
  const timeoutMs = options.timeoutMs ?? timeoutFor(size);
  const signal = typeof AbortSignal !== 'undefined' && typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(timeoutMs) : undefined;
  let response: Awaited<ReturnType<FetchLike>>;
  try {
    response = await doFetch(`${trimTrailing(options.baseUrl, '/')}${path}`, {
      method: 'POST',
      headers: { ...headers, ...auth, 'Idempotency-Key': options.idempotencyKey, Accept: 'application/json' },
      body,
      ...(signal ? { signal } : {}),
    });
  } catch (error) {
    return { ok: false, problem: problemFromFailure(error, options.online?.()) };
  }
  // A body that cannot be read at all counts as no body: the status decides.
  const parsed = parseJson(await response.text().catch(() => ''));
  if (response.ok && isReceipt(parsed)) {
    const receipt: Receipt = { caseId: parsed.caseId, reference: parsed.reference, receivedAt: parsed.receivedAt, joinedExisting: parsed.joinedExisting === true };
    return { ok: true, receipt, repeat: response.status === 200 };
  }
  if (response.ok) return { ok: false, problem: { kind: 'server', message: DEFAULT_MESSAGES.server, retryable: true, status: response.status } };
  return { ok: false, problem: problemFromResponse(response.status, parsed) };
}

/** Percent-encodes the note for the X-Report-Note header (headers carry ASCII only). */
export function encodeNoteHeader(note: string): string {
  return encodeURIComponent(note);
}

/** A child named on a report: picked from the pupil search (its id), or typed when the search found nobody. */
export type ReportChild = { pupilId: string } | { name: string };

/** Percent-encodes the children for the X-Report-Children header: JSON, like the note, never in the URL. */
export function encodeChildrenHeader(children: readonly ReportChild[]): string {
  return encodeURIComponent(JSON.stringify(children));
}

/** POST /api/v1/email-reports?choice=…[&subject=…] with the whole message (.eml) as the body. */
export function sendEmailReport(options: CallOptions, report: { eml: Uint8Array; choice: ReportChoice; note: string; subjectPersonId?: string; children?: readonly ReportChild[] }): Promise<Outcome> {
  const headers: Record<string, string> = { 'Content-Type': 'message/rfc822' };
  if (report.note) headers['X-Report-Note'] = encodeNoteHeader(report.note);
  if (report.children?.length) headers['X-Report-Children'] = encodeChildrenHeader(report.children);
  const subject = report.subjectPersonId ? `&subject=${encodeURIComponent(report.subjectPersonId)}` : '';
  return call(options, `/api/v1/email-reports?choice=${encodeURIComponent(report.choice)}${subject}`, headers, report.eml);
}

/** A member of staff as the people search gives them: a name and an id, nothing else. */
export interface StaffChoice {
  id: string;
  name: string;
}

export type StaffSearchOutcome = { ok: true; people: StaffChoice[] } | { ok: false; problem: Problem };

/**
 * GET /api/v1/people/search?q=…: the reporter's own school, names and ids only, rate-limited by the server.
 * A failure is a problem for the search box only: the report itself can still be sent.
 */
export async function searchStaff(options: Omit<CallOptions, 'idempotencyKey'>, query: string): Promise<StaffSearchOutcome> {
  const doFetch = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
  const signedIn = await signInHeaders(options);
  if (!signedIn.ok) return signedIn;
  const auth = signedIn.headers;
  const signal = typeof AbortSignal !== 'undefined' && typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(options.timeoutMs ?? 15_000) : undefined;
  try {
    const response = await doFetch(`${trimTrailing(options.baseUrl, '/')}/api/v1/people/search?q=${encodeURIComponent(query)}`, {
      method: 'GET',
      headers: { ...auth, Accept: 'application/json' },
      ...(signal ? { signal } : {}),
    });
    const parsed = parseJson(await response.text());
    if (!response.ok) return { ok: false, problem: problemFromResponse(response.status, parsed) };
    const people = (parsed as { people?: unknown } | undefined)?.people;
    if (!Array.isArray(people)) return { ok: false, problem: { kind: 'server', message: DEFAULT_MESSAGES.server, retryable: true, status: response.status } };
    return {
      ok: true,
      people: people
        .filter((person): person is StaffChoice => Boolean(person) && typeof person.id === 'string' && typeof person.name === 'string')
        .map((person) => ({ id: person.id, name: person.name })),
    };
  } catch (error) {
    return { ok: false, problem: problemFromFailure(error, options.online?.()) };
  }
}

/** A pupil as the pupil search gives them: enough to pick the right child, nothing more. */
export interface PupilChoice {
  id: string;
  name: string;
  yearGroup?: string;
  registrationGroup?: string;
}

export type PupilSearchOutcome = { ok: true; pupils: PupilChoice[] } | { ok: false; problem: Problem };

/**
 * GET /api/v1/pupils/search?q=…: the school's pupils on roll, name, year and class only, rate-limited by the
 * server. A failure is a problem for the search box only: the child can be typed and the report still sent.
 */
export async function searchPupils(options: Omit<CallOptions, 'idempotencyKey'>, query: string): Promise<PupilSearchOutcome> {
  const doFetch = options.fetch ?? (globalThis.fetch as unknown as FetchLike);
  const signedIn = await signInHeaders(options);
  if (!signedIn.ok) return signedIn;
  const signal = typeof AbortSignal !== 'undefined' && typeof AbortSignal.timeout === 'function' ? AbortSignal.timeout(options.timeoutMs ?? 15_000) : undefined;
  try {
    const response = await doFetch(`${trimTrailing(options.baseUrl, '/')}/api/v1/pupils/search?q=${encodeURIComponent(query)}`, {
      method: 'GET',
      headers: { ...signedIn.headers, Accept: 'application/json' },
      ...(signal ? { signal } : {}),
    });
    const parsed = parseJson(await response.text());
    if (!response.ok) return { ok: false, problem: problemFromResponse(response.status, parsed) };
    const pupils = (parsed as { pupils?: unknown } | undefined)?.pupils;
    if (!Array.isArray(pupils)) return { ok: false, problem: { kind: 'server', message: DEFAULT_MESSAGES.server, retryable: true, status: response.status } };
    const text = (value: unknown) => (typeof value === 'string' && value ? value : undefined);
    return {
      ok: true,
      pupils: pupils
        .filter((pupil): pupil is PupilChoice => Boolean(pupil) && typeof pupil.id === 'string' && typeof pupil.name === 'string')
        .map((pupil) => {
          const yearGroup = text(pupil.yearGroup);
          const registrationGroup = text(pupil.registrationGroup);
          return { id: pupil.id, name: pupil.name, ...(yearGroup ? { yearGroup } : {}), ...(registrationGroup ? { registrationGroup } : {}) };
        }),
    };
  } catch (error) {
    return { ok: false, problem: problemFromFailure(error, options.online?.()) };
  }
}

export interface GraphReport {
  /** The REST (Graph) id of the message: Office.context.mailbox.convertToRestId(item.itemId, v2.0). */
  itemId: string;
  internetMessageId: string;
  /** The shared mailbox the message is in (office@, admissions@), when it is not the reporter's own. */
  mailbox?: string;
  choice: ReportChoice;
  note?: string;
  /** The member of staff the email is about, from the people search. */
  subjectPersonId?: string;
  /** The children the email is about (safeguarding or inappropriate only). */
  children?: readonly ReportChild[];
}

/** POST /api/v1/email-reports/graph: the server fetches the message from Exchange on the reporter's behalf. */
export function sendGraphReport(options: CallOptions, report: GraphReport): Promise<Outcome> {
  const body: GraphReport = {
    itemId: report.itemId,
    internetMessageId: report.internetMessageId,
    ...(report.mailbox ? { mailbox: report.mailbox } : {}),
    choice: report.choice,
    ...(report.note ? { note: report.note } : {}),
    ...(report.subjectPersonId ? { subjectPersonId: report.subjectPersonId } : {}),
    ...(report.children?.length ? { children: report.children } : {}),
  };
  return call(options, '/api/v1/email-reports/graph', { 'Content-Type': 'application/json' }, JSON.stringify(body));
}
