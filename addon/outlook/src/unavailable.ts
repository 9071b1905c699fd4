/**
 * What the task pane says when it cannot work: Office.js did not load (a web filter or proxy blocking
 * Microsoft's CDN, or no network), the page was opened outside Outlook, or Outlook never said it was ready.
 * Each message says what is wrong and what to do, in the words of the person looking at the pane.
 */
import type { PaneDocument } from './dom.ts';

export type UnavailableReason = 'office-js-missing' | 'not-in-outlook' | 'no-answer';

export interface UnavailableMessage {
  title: string;
  /** What is wrong. */
  problem: string;
  /** What to do about it. */
  action: string;
}

/** How long Outlook may take to say it is ready before the pane says it did not. */
export const OFFICE_READY_TIMEOUT_MS = 15_000;

const URGENT = 'If a child may be in danger, do not wait: tell your DSL in person now.';

export function unavailableMessage(reason: UnavailableReason): UnavailableMessage {
  switch (reason) {
    case 'office-js-missing':
      return {
        title: 'Report to DSL cannot start: Office.js did not load',
        problem:
          'This pane needs Office.js, Microsoft’s script for Outlook add-ins, from appsforoffice.microsoft.com, and it did not arrive. A web filter or firewall may be blocking that address, the network may be down, or this page was opened outside Outlook.',
        action: `Ask your IT team to allow https://appsforoffice.microsoft.com, then close this pane and open it again from Outlook. ${URGENT}`,
      };
    case 'not-in-outlook':
      return {
        title: 'Report to DSL only works inside Outlook',
        problem: 'This page is the Report to DSL add-in, and it has been opened outside Outlook, so there is no email to report.',
        action: `In Outlook, open the email that worries you and choose “Report to DSL” (on the ribbon, or under Report). ${URGENT}`,
      };
    case 'no-answer':
      return {
        title: 'Report to DSL cannot start: Outlook did not answer',
        problem: 'Office.js loaded, but Outlook did not say it was ready.',
        action: `Close this pane and open it again. If it keeps happening, restart Outlook or ask your IT team. ${URGENT}`,
      };
  }
}

/** Shows the message in the pane's #unavailable section (in taskpane.html) and hides the form. */
export function showUnavailable(document: PaneDocument, reason: UnavailableReason): void {
  const message = unavailableMessage(reason);
  const set = (id: string, text: string) => {
    const element = document.getElementById(id);
    if (element) element.textContent = text;
  };
  set('unavailable-title', message.title);
  set('unavailable-problem', message.problem);
  set('unavailable-action', message.action);
  for (const id of ['report-form', 'no-item', 'status']) {
    const element = document.getElementById(id);
    if (element) element.hidden = true;
  }
  const section = document.getElementById('unavailable');
  if (!section) return;
  section.setAttribute('data-reason', reason);
  section.hidden = false;
}
