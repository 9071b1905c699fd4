import { parseArgs } from 'node:util';
import { GOOGLE_CHAT_PATH, GOOGLE_GMAIL_PATH } from '../../src/domain/google-workspace.ts';
import { googleBannerLines, startDemoGoogleSchoolClient } from './demo-google-school.ts';

/**
 * `npm run workspace-client`: the local Workspace client on its own, for a DSL Desk sandbox started
 * separately (npm start) with the settings it prints. `npm run demo` starts both together.
 */

const { values } = parseArgs({
  options: {
    'app-url': { type: 'string' },
    port: { type: 'string' },
    'chat-port': { type: 'string' },
    'certs-port': { type: 'string' },
    'gmail-port': { type: 'string' },
    'admin-port': { type: 'string' },
    'gmail-url': { type: 'string' },
    'access-token': { type: 'string' },
    'project-number': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});

if (values.help) {
  process.stdout.write(`npm run workspace-client [-- options]

  --app-url URL              DSL Desk's Chat endpoint (default http://127.0.0.1:3978${GOOGLE_CHAT_PATH})
  --port N                   the pages' port (default 3990)
  --chat-port N              the fake Chat API's port (default 3991)
  --certs-port N             the certificates' port (default 3992)
  --gmail-port N             the fake Gmail API's port (default 3993)
  --admin-port N             the fake Admin SDK's port (default 3994)
  --gmail-url URL            DSL Desk's Gmail endpoint (default: beside --app-url, ${GOOGLE_GMAIL_PATH})
  --access-token TOKEN       the token the fake Chat API accepts (default: the one DSL Desk's sandbox sends)
  --project-number N         the Cloud project number (default 123456789012)
`);
  process.exit(0);
}

const client = await startDemoGoogleSchoolClient({
  appUrl: values['app-url'] ?? `http://127.0.0.1:3978${GOOGLE_CHAT_PATH}`,
  projectNumber: values['project-number'] ?? '123456789012',
  port: Number(values.port ?? 3990),
  chatPort: Number(values['chat-port'] ?? 3991),
  certsPort: Number(values['certs-port'] ?? 3992),
  gmailPort: Number(values['gmail-port'] ?? 3993),
  adminPort: Number(values['admin-port'] ?? 3994),
  ...(values['gmail-url'] ? { gmailUrl: values['gmail-url'] } : {}),
  ...(values['access-token'] ? { accessToken: values['access-token'] } : {}),
});

process.stdout.write(`Local Workspace client is running (local only, made-up people).
Start DSL Desk's sandbox with these settings:

${Object.entries(client.env).map(([name, value]) => `  ${name}=${value}`).join('\n')}
${googleBannerLines(client)}
Press Ctrl-C to stop.
`);

const stop = () => void client.close().finally(() => process.exit(0));
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
