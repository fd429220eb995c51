/**
 * AES-GCM for what the gateway puts in a shared store (refresh results, server-side sessions): the
 * key is derived from a secret only the rightful reader holds, so the store never holds readable
 * tokens. Output: base64(iv) "." base64(ciphertext).
 */
const encoder = new TextEncoder();

export async function keyFromSecret(secret: string): Promise<CryptoKey> {
  const raw = await crypto.subtle.digest('SHA-256', encoder.encode(secret));
  return crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
}

const b64 = (bytes: Uint8Array) => {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
};
const unb64 = (text: string) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

export async function sealText(key: CryptoKey, plain: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  return `${b64(iv)}.${b64(new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv }, key, encoder.encode(plain))))}`;
}

/** Throws when the text was sealed under another key or is damaged. */
export async function openText(key: CryptoKey, sealed: string): Promise<string> {
  const [iv = '', data = ''] = sealed.split('.');
  return new TextDecoder().decode(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: unb64(iv) }, key, unb64(data)));
}
