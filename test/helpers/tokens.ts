/** A client_credentials access token from the emulator for the demo machine client. */
export async function machineToken(hostedUiBase: string, scope: string): Promise<string> {
  const res = await fetch(`${hostedUiBase}/oauth2/token`, {
    method: 'POST',
    headers: { authorization: `Basic ${btoa('demo-machine:demo-machine-secret')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', scope }),
  });
  if (res.status !== 200) throw new Error(`client_credentials failed: ${res.status} ${await res.text()}`);
  return ((await res.json()) as { access_token: string }).access_token;
}
