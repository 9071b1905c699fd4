// The local Admin SDK lives with the local Workspace client (the demo runs it too); the tests use the same one.
export * from '../../scripts/workspace-client/fake-google-admin.ts';
