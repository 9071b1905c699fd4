/**
 * The part of Office.js (Outlook, Mailbox 1.14) the add-in uses, typed here so the code can be tested with
 * a stand-in host. Names and shapes follow the Office JavaScript API reference.
 */

export interface AsyncResult<T> {
  status: 'succeeded' | 'failed';
  value: T;
  error?: { name?: string; message?: string; code?: number };
  asyncContext?: unknown;
}

export interface MessageReadItem {
  itemId: string;
  internetMessageId: string;
  subject?: string;
  itemType?: string;
  /** Mailbox 1.14: the whole message as base64 .eml. */
  getAsFileAsync?: (options: { asyncContext?: unknown }, callback: (result: AsyncResult<string>) => void) => void;
  /** Mailbox 1.8: for a message in a shared folder or shared mailbox. */
  getSharedPropertiesAsync?: (callback: (result: AsyncResult<{ targetMailbox?: string; owner?: string }>) => void) => void;
}

export interface SpamReportingEvent {
  type?: string;
  /** One boolean per ReportingOptions/Option, in manifest order. */
  options?: boolean[];
  freeText?: string;
  completed(options: SpamReportingCompletedOptions): void;
}

export interface SpamReportingCompletedOptions {
  onErrorDeleteItem?: boolean;
  moveItemTo?: string;
  folderName?: string;
  postProcessingAction?: string;
  showPostProcessingDialog?: { title: string; description: string };
}

export interface OfficeLike {
  onReady(callback?: (info: { host?: string; platform?: string }) => void): Promise<unknown> | void;
  actions?: { associate(name: string, handler: (event: SpamReportingEvent) => void): void };
  context: {
    mailbox: {
      item: MessageReadItem | null | undefined;
      convertToRestId?: (itemId: string, restVersion: string) => string;
      userProfile?: { emailAddress?: string };
    };
    requirements?: { isSetSupported(name: string, minVersion?: string): boolean };
  };
  MailboxEnums?: {
    MoveSpamItemTo?: Record<string, string>;
    RestVersion?: Record<string, string>;
  };
}

/** The Office global, when Office.js (or the stand-in host) has loaded. */
export function officeGlobal(): OfficeLike | undefined {
  return (globalThis as { Office?: OfficeLike }).Office;
}

/** Wraps a callback API in a promise. */
export function callAsync<T>(start: (callback: (result: AsyncResult<T>) => void) => void): Promise<AsyncResult<T>> {
  return new Promise((resolve) => start(resolve));
}

/** The message's id in the REST/Graph format (v2.0), as the Graph route expects. */
export function restIdOf(office: OfficeLike, itemId: string): string {
  const convert = office.context.mailbox.convertToRestId;
  if (!convert) return itemId;
  const version = office.MailboxEnums?.RestVersion?.v2_0 ?? 'v2.0';
  return convert.call(office.context.mailbox, itemId, version);
}

export function supportsMailbox(office: OfficeLike, version: string): boolean {
  try {
    return office.context.requirements?.isSetSupported('Mailbox', version) === true;
  } catch {
    return false;
  }
}
