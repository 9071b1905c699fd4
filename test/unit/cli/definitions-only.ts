// Imported before src/cli/main.ts: the CLI then defines its commands without running one.
(globalThis as { __DSL_DESK_CLI_DEFINITIONS_ONLY__?: boolean }).__DSL_DESK_CLI_DEFINITIONS_ONLY__ = true;
export {};
