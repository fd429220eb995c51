import type { ChildProcess, StdioOptions } from 'node:child_process';
export declare const ROOT: string;
export declare const WRANGLER_JS: string;
export declare function wranglerEnv(extra?: Record<string, string>): Record<string, string | undefined>;
export declare function spawnWrangler(args: string[], opts?: { stdio?: StdioOptions; env?: Record<string, string> }): ChildProcess;
export declare function demoDevArgs(port: string | number): string[];
export declare function runWrangler(args: string[], opts?: { env?: Record<string, string> }): Promise<string>;
