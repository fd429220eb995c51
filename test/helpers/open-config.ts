/**
 * The config of a gateway with one app that lets everyone through (`bypass` on every path) to
 * `upstream`: for tests of the listener and the data plane (drain, streams, workers), not of
 * decisions. `head` is YAML put before `idp:` (listen.*, admin, upstreamTimeout …). The IdP is never
 * called: nothing here signs anyone in.
 */
export function openAppConfig(upstream: string, head = ''): string {
  return `${head}
idp:
  issuer: http://127.0.0.1:9/us-east-1_Open1
  userPoolId: us-east-1_Open1
  clientId: open-client
session:
  secrets: ["open-test-cookie-secret-0123456789abcdef"]
apps:
  - id: app
    upstream: ${upstream}
    policies:
      - name: public
        action: bypass
        paths: ["/*"]
        include: [{ everyone: true }]
`;
}
