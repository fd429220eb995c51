/**
 * What a client gets for bytes node:http cannot take as a request (its 'clientError' event): the
 * catalogue's answer, with a request id, and a `request refused` log line, where Node would write a
 * bare 400, 408 or 431 with neither. Bytes after a request that closes the connection
 * (`Connection: close`, HTTP/1.0 without keep-alive) are ignored, so that request is answered
 * (RFC 9112 §9.6: the server closes after it and processes nothing more); Node would have replaced
 * its answer with a 400. Node only, with ./node.ts.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { gatewayError, newRequestId, renderError, type ErrorCode } from '../http';
import type { Logger } from '../log';

/** What Node hands 'clientError': an llhttp error (`HPE_*`, with its reason) or a timeout. */
type ClientError = Error & { code?: string; reason?: string };
type ClientSocket = Duplex & { _httpMessage?: ServerResponse | null; remoteAddress?: string };

/** The catalogue code, and what the client reads, for each error Node reports. */
function answerFor(code: string | undefined): { code: ErrorCode; detail?: string } {
  switch (code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return { code: 'request_timeout' };
    case 'HPE_HEADER_OVERFLOW':
      return { code: 'headers_too_large' };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return { code: 'bad_request', detail: 'The chunk extensions of the request body are too large.' };
    case 'HPE_INVALID_HEADER_TOKEN':
      return { code: 'bad_request', detail: 'A request header has a character a header may not have.' };
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return { code: 'bad_request', detail: 'The request body is framed ambiguously (Content-Length and Transfer-Encoding).' };
    case 'HPE_INVALID_METHOD':
      return { code: 'bad_request', detail: 'The request method is not a valid HTTP method.' };
    case 'HPE_INVALID_VERSION':
      return { code: 'bad_request', detail: 'The request is not HTTP/1.0 or HTTP/1.1.' };
    default:
      return { code: 'bad_request', detail: 'The request is not valid HTTP/1.1.' };
  }
}

/** The catalogue's JSON answer, as bytes for a socket no ServerResponse is writing on, and its status. */
async function rawAnswer(code: ErrorCode, requestId: string, detail: string | undefined): Promise<{ bytes: string; status: number }> {
  const res = renderError(new Request('http://client-error.invalid/'), { ...gatewayError(code, { requestId, detail }), json: true });
  const body = await res.text();
  let head = `HTTP/1.1 ${res.status} ${STATUS_CODES[res.status] ?? ''}\r\n`;
  for (const [name, value] of res.headers) head += `${name}: ${value}\r\n`;
  return { bytes: `${head}connection: close\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`, status: res.status };
}

/**
 * The server's 'clientError' listener. `refused(status)` counts the answer (the request metrics).
 * Node may report the same socket again (more bytes after the error): it is answered once.
 */
export function clientErrorListener(logger: Logger, refused: (status: number) => void): (err: ClientError, socket: Duplex) => void {
  const answered = new WeakSet<Duplex>();
  return (err, s) => {
    const socket = s as ClientSocket;
    if (answered.has(socket)) return;
    answered.add(socket);
    const inFlight = socket._httpMessage;
    if (err.code === 'HPE_CLOSED_CONNECTION') {
      // The request before these bytes asked to close: its answer is on its way and Node closes the
      // connection after it. With nothing in flight the connection is done.
      if (!inFlight) socket.destroy();
      return;
    }
    // A client that went away, or an answer already begun on this socket: nothing can be said.
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const requestId = newRequestId();
    const answer = answerFor(err.code);
    // Never the bytes themselves (err.rawPacket): they may carry a cookie or a token.
    logger.warn('request refused', { requestId, reason: err.reason ?? err.message, parseError: err.code, client: socket.remoteAddress });
    void rawAnswer(answer.code, requestId, answer.detail).then(
      ({ bytes, status }) => {
        refused(status);
        if (socket.writable) socket.end(bytes);
        // The peer gets a moment to read the answer; then the connection goes whatever it does.
        setTimeout(() => socket.destroy(), 1000).unref();
      },
      () => socket.destroy(),
    );
  };
}
