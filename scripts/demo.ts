import { parseArgs } from 'node:util';
import { DEFAULT_CARD_EDIT_HOLD } from '../src/domain/chat.ts';
import { GOOGLE_CHAT_PATH } from '../src/domain/google-workspace.ts';
import { bannerSentences } from './demo-banner.ts';
import { PLAYGROUND_BOT, PLAYGROUND_CONVERSATIONS, PLAYGROUND_NAMES, PLAYGROUND_PEOPLE } from './playground/identities.ts';
import { ConversationStream, PlaygroundApi } from './playground/playground-api.ts';
import { startDslDeskSandbox, type RunningDslDesk } from './playground/start-dsl-desk.ts';
import { DEFAULT_PLAYGROUND_PORT, startPlayground, type RunningPlayground } from './playground/start-playground.ts';
import { googleBannerLines, startDemoGoogleSchoolClient } from './workspace-client/demo-google-school.ts';
import type { WorkspaceClient } from './workspace-client/workspace-client.ts';

/**
 * `npm run demo`: DSL Desk's local sandbox with two Microsoft 365 Agents Playground pages in front of it,
 * all on 127.0.0.1 — one page as a member of staff (Tess Teacher), one as the DSL (Dina Safeguarding).
 * A playground page always acts as one person, so two pages give both sides of a report. The DSL's page
 * gets the "DSL Cases" channel set up for cases at start, so a report made on the staff page appears there.
 * Next to them, the local Workspace client (scripts/workspace-client) gives the demo's Google school its
 * Google Chat pages: a teacher's DM with the app, the DSL space, a new starter's DM.
 * Ctrl-C stops everything.
 */

const { values } = parseArgs({
  options: {
    port: { type: 'string' },
    'playground-port': { type: 'string' },
    'data-dir': { type: 'string' },
    'no-channel-setup': { type: 'boolean' },
    'no-google': { type: 'boolean' },
    verbose: { type: 'boolean', short: 'v' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(`npm run demo [-- options]

  --port N              DSL Desk's port (default 3978)
  --playground-port N   the staff page's port (default ${DEFAULT_PLAYGROUND_PORT}); the DSL's page uses the next one
  --data-dir DIR        keep the sandbox's database in DIR (default: a temporary directory, removed at the end)
  --no-channel-setup    leave "use this channel for cases" to you (type it in the DSL's page, in DSL Cases)
  --no-google           leave out the Google school's pages (the local Workspace client)
  --verbose             show DSL Desk's log here as well as in its log file
`);
  process.exit(0);
}

const running: { close(): Promise<void> }[] = [];
let stopping = false;

async function stop(code: number): Promise<never> {
  if (!stopping) {
    stopping = true;
    // Newest first: the pages before the service they talk to.
    for (const item of running.reverse()) await item.close().catch(() => undefined);
  }
  process.exit(code);
}

process.on('SIGINT', () => void stop(0));
process.on('SIGTERM', () => void stop(0));

/** Says "use this channel for cases" in DSL Cases, as the DSL, and reports what DSL Desk answered. */
async function setUpCasesChannel(playground: RunningPlayground): Promise<string> {
  const stream = await ConversationStream.connect(playground.url);
  try {
    await new PlaygroundApi(playground.url).sendMessageAs(PLAYGROUND_PEOPLE.dsl, PLAYGROUND_CONVERSATIONS.casesChannel, 'use this channel for cases', { mentionBot: true });
    const answer = await stream
      .waitFor((event) => event.conversationId.startsWith(PLAYGROUND_CONVERSATIONS.casesChannel), 'DSL Desk to answer in DSL Cases', { timeoutMs: 10000 })
      .catch(() => undefined);
    if (!answer) return 'DSL Desk did not answer (check its log).';
    return bannerSentences(ConversationStream.textOf(answer));
  } finally {
    stream.close();
  }
}

/** The quiet period before the channel's shared card is edited, in words (the service's default unless set). */
function quietPeriod(): string {
  const seconds = Number(process.env.CASE_CARD_QUIET_SECONDS ?? DEFAULT_CARD_EDIT_HOLD.quietMs / 1000);
  return seconds % 60 === 0 ? `${seconds / 60} minute${seconds === 60 ? '' : 's'}` : `${seconds} seconds`;
}

async function main(): Promise<void> {
  const port = values.port === undefined ? 3978 : Number(values.port);
  // The Workspace client first: DSL Desk starts with the settings that make it trust the client's signer and post to its Chat API.
  const google: WorkspaceClient | undefined = values['no-google']
    ? undefined
    : await startDemoGoogleSchoolClient({ appUrl: `http://127.0.0.1:${port}${GOOGLE_CHAT_PATH}`, projectNumber: '123456789012' });
  if (google) running.push(google);
  const dslDesk: RunningDslDesk = await startDslDeskSandbox({
    port,
    ...(google ? { env: google.env } : {}),
    ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
    ...(values.verbose ? { onOutput: (chunk: string) => process.stdout.write(chunk) } : {}),
  });
  running.push(dslDesk);

  const staffPort = values['playground-port'] === undefined ? DEFAULT_PLAYGROUND_PORT : Number(values['playground-port']);
  const onOutput = (line: string) => process.stderr.write(`[playground] ${line}\n`);
  const staff = await startPlayground({ botEndpoint: dslDesk.botEndpoint, port: staffPort, currentUser: 'teacher', onOutput });
  running.push(staff);
  const dsl = await startPlayground({ botEndpoint: dslDesk.botEndpoint, port: staffPort + 1, currentUser: 'dsl', onOutput });
  running.push(dsl);

  const setup = values['no-channel-setup'] ? undefined : await setUpCasesChannel(dsl);

  process.stdout.write(`
DSL Desk demo is running (local only, made-up people and data).

  Open ${staff.url}  — you are ${PLAYGROUND_PEOPLE.teacher.name}, a member of staff.
      Personal Chat: type "report", fill in the form and send it. "my reports" lists your reports.
  Open ${dsl.url}  — you are ${PLAYGROUND_PEOPLE.dsl.name}, the DSL.
      ${PLAYGROUND_NAMES.team} > ${PLAYGROUND_NAMES.casesChannel}: new cases arrive here; press "Show my options" on a card (this client does not fetch per-person views by itself), then Acknowledge.
      Work the case from your view (Assign to me, Add note, Assign to…): it changes at once and keeps its buttons, and
      a note you are typing stays. The card the rest of the channel sees catches up once nobody has acted on it for
      ${quietPeriod()} (CASE_CARD_QUIET_SECONDS).
${setup === undefined ? `      First post "@${PLAYGROUND_BOT.name} use this channel for cases" in ${PLAYGROUND_NAMES.casesChannel}.` : `      ${PLAYGROUND_NAMES.casesChannel} was set up for cases as ${PLAYGROUND_PEOPLE.dsl.name}: ${setup}`}

  Open both pages before you start: a page only shows what arrives while it is open, and reloading clears it.
${google ? googleBannerLines(google) : ''}
  DSL Desk sandbox: ${dslDesk.url}   data: ${dslDesk.dataDir}${values['data-dir'] ? '' : ' (temporary)'}
  DSL Desk log:     ${dslDesk.logFile}

Press Ctrl-C to stop.
`);

  // If any part stops by itself, stop the rest rather than leave a half-working demo.
  const watch = setInterval(() => {
    void (async () => {
      const up = await fetch(`${dslDesk.url}/healthz`, { signal: AbortSignal.timeout(2000) }).then((r) => r.ok, () => false);
      if (!up && !stopping) {
        process.stderr.write(`DSL Desk stopped answering; see ${dslDesk.logFile}. Stopping the demo.\n`);
        clearInterval(watch);
        await stop(1);
      }
    })();
  }, 5000);
}

main().catch(async (error: unknown) => {
  process.stderr.write(`The demo did not start: ${error instanceof Error ? error.message : String(error)}\n`);
  await stop(1);
});
