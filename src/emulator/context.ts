import type { EmulatorState } from './state';

/** What every route needs. Base URLs are known only once the server listens, hence mutable. */
export interface EmulatorContext {
  state: EmulatorState;
  /** Issuer host base, `http://127.0.0.1:{port}`; issuers are `${baseUrl}/${poolId}`. */
  baseUrl: string;
  /** Hosted UI base, by default `http://localhost:{port}` (another host, as with Cognito). */
  hostedUiBase: string;
}
