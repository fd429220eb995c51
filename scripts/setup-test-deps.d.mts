export interface SystemPackage {
  name: string;
  paths: string[];
}
export const SYSTEM_PACKAGES: SystemPackage[];
export function missingPackages(packages?: SystemPackage[], exists?: (path: string) => boolean): string[];
export type SetupPlan = { action: 'none' } | { action: 'install'; commands: string[][] } | { action: 'stop'; message: string };
export function setupPlan(host: { missing: string[]; isRoot: boolean; hasAptGet: boolean; hasSudo: boolean }): SetupPlan;
