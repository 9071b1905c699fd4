// Types of fresh-build.js, which stays plain JavaScript so the launcher runs before any TypeScript.
export declare const BUILD_DIR: string;
export declare const BUILD_INFO: string;
/** [size, mtimeMs] of a file under root, or null when it is missing. */
export declare function stampOf(root: string, file: string): [number, number] | null;
export declare function freshBuild(root: string, entry: string): { path?: string; stale?: string; missing?: boolean };
