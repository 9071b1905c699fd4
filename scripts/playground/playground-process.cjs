// Runs the Microsoft 365 Agents Playground in this process, started by start-playground.ts:
//   node playground-process.cjs <playground package dir> <playground CLI arguments...>
// Compared with the package's own `agentsplayground` command it changes two things:
// - the server listens on 127.0.0.1 only (the playground has no sign-in and would otherwise listen on every
//   interface, letting anyone on the network talk to the bot as the mock users);
// - an uncaught error is reported on stderr instead of ending the process (the command exits on one during
//   start in some setups, leaving the bot without its client).
// A broken config file still ends the process: the playground calls process.exit itself, as it should.
'use strict';

const net = require('node:net');
const path = require('node:path');

const [packageDir, ...cliArgs] = process.argv.slice(2);
if (!packageDir) {
  process.stderr.write('usage: node playground-process.cjs <playground package dir> [arguments]\n');
  process.exit(64);
}

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function listenOnLoopback(...args) {
  const first = args[0];
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    if (typeof args[1] !== 'string') args.splice(1, 0, '127.0.0.1');
  } else if (first && typeof first === 'object' && first.port !== undefined && first.host === undefined) {
    args[0] = { ...first, host: '127.0.0.1' };
  }
  return listen.apply(this, args);
};

// The playground sends console output to its log file; these go to stderr so the parent can show them.
process.on('uncaughtException', (error) => {
  process.stderr.write(`Agents Playground: uncaught error (kept running): ${error && error.stack ? error.stack : String(error)}\n`);
});
process.on('unhandledRejection', (reason) => {
  process.stderr.write(`Agents Playground: unhandled rejection (kept running): ${reason && reason.stack ? reason.stack : String(reason)}\n`);
});

// The CLI parses process.argv as if it had been started as `agentsplayground start ...`.
process.argv = [process.argv[0], path.join(packageDir, 'cli.js'), 'start', ...cliArgs];
const cli = require(path.join(packageDir, 'dist'));
Promise.resolve(cli.start()).catch((error) => {
  process.stderr.write(`Agents Playground did not start: ${error && error.stack ? error.stack : String(error)}\n`);
  process.exit(1);
});
