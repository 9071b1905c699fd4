import './definitions-only.ts';
import type { Command } from 'commander';
import { commandPath, program } from '../../../src/cli/main.ts';
import { COMMAND_FIELDS, fieldErrorLines, flagForField } from '../../../src/cli/flag-names.ts';

/** Every command that runs something, with its flags and arguments as a person types them. */
function commands(): Map<string, string[]> {
  const found = new Map<string, string[]>();
  const walk = (command: Command) => {
    if (command.commands.length === 0) {
      const flags = command.options.map((option) => option.long!).filter((flag) => flag !== '--help');
      const args = command.registeredArguments.map((argument) => `<${argument.name()}>`);
      found.set(commandPath(command), [...args, ...flags]);
    }
    for (const sub of command.commands) walk(sub);
  };
  walk(program);
  return found;
}

describe('messages use the names people typed', () => {
  test('messages use the names people typed: every flag and argument of every command has its field named (a new flag without one fails here)', () => {
    const all = commands();
    expect(all.size).toBeGreaterThan(10);
    expect(all.get('aup new-starter')).toContain('--start-date');
    const missing: string[] = [];
    for (const [command, flags] of all) {
      const known = COMMAND_FIELDS[command];
      if (!known) {
        missing.push(`${command}: no entry in COMMAND_FIELDS`);
        continue;
      }
      for (const flag of flags) if (!(flag in known)) missing.push(`${command} ${flag}`);
      for (const flag of Object.keys(known)) if (!flags.includes(flag)) missing.push(`${command} ${flag} is listed but the command has no such flag`);
    }
    for (const command of Object.keys(COMMAND_FIELDS)) if (!all.has(command)) missing.push(`${command} is listed but there is no such command`);
    expect(missing).toEqual([]);
  });

  test('messages use the names people typed: a use case’s field errors are printed with the flag, not the internal field', () => {
    expect(flagForField('aup new-starter', 'startDate')).toBe('--start-date');
    expect(flagForField('aup new-starter', 'displayName')).toBe('--name');
    expect(flagForField('aup new-starter', 'lineManagerEmail')).toBe('--line-manager');
    expect(flagForField('aup publish', 'acknowledgementWording')).toBe('--wording');
    expect(flagForField('aup publish', 'markdown')).toBe('<file>');
    expect(flagForField('aup publish', 'policy.effectiveDate')).toBe('--effective');
    expect(flagForField('aup link', 'validHours')).toBe('--hours');
    expect(flagForField('school add', 'timeZone')).toBe('--time-zone');
    // A field no flag fills keeps its own name rather than being blamed on another flag.
    expect(flagForField('aup new-starter', 'schoolDay.start')).toBe('schoolDay.start');
    expect(fieldErrorLines('aup new-starter', [{ path: 'startDate', message: 'Give the start date such as 2026-09-01.' }])).toBe('  --start-date: Give the start date such as 2026-09-01.');
  });
});
