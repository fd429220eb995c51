export declare const GZIP_BUDGET_BYTES: number;
export interface NodeApiFinding {
  specifier: string;
  line: number;
  text: string;
}
export interface BundleReport {
  outdir: string;
  modules: string[];
  rawBytes: number;
  gzipBytes: number;
  nodeApis: Array<NodeApiFinding & { file: string }>;
}
export declare function findNodeApis(code: string): NodeApiFinding[];
export declare function inspectBundle(outdir: string): BundleReport;
export declare function buildWorker(opts: { outdir: string; env?: string; config?: string }): Promise<string>;
export declare function formatSize(bytes: number): string;
export declare function bundleProblems(report: BundleReport, budget?: number): string[];
