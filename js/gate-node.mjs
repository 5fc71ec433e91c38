// The gate's node:http adapter (`gate.node`): a request listener built on gate.fetch and only on
// the req/res objects it is given (no node: import: the module that holds it loads in workerd
// and browsers too). Deno needs none (`Deno.serve(gate.fetch)`).

import { GET_OR_HEAD, JSON_HEADERS, refusal } from './gate-answers.mjs';

// Response headers a node:http server writes itself (or that belong to one hop only).
// A Host header's text, or a URL's host: a host name or address and a port, nothing else.
const HOST_AND_PORT = /^[A-Za-z0-9.:[\]_~-]+$/;

export const HOP_HEADERS = new Set(['connection', 'keep-alive', 'transfer-encoding', 'upgrade', 'proxy-connection', 'te', 'trailer']);

/**
 * A node:http request listener on `fetchHandler` (gate.fetch): the IncomingMessage as a Request
 * (method, absolute URL from the Host header and the socket's scheme, headers, never a body: the
 * gate serves GET and HEAD only and refuses the rest with 405 itself), aborted when the client
 * goes away; the Response written back (status, headers, every Set-Cookie, the body streamed with
 * back-pressure, none for HEAD). Never throws and never rejects: a failure before the headers is
 * 500 { code: 'GATE_ERROR' }, one after them closes the connection.
 */
export function nodeAdapter(fetchHandler) {
  return function node(req, res) {
    const controller = new AbortController();
    res.on('error', () => {}); // a client gone mid-write: nothing to report to
    res.on('close', () => {
      if (!res.writableFinished) controller.abort();
    });
    serve(req, res, controller).catch(() => {
      try {
        if (!res.headersSent) {
          const body = JSON.stringify({ code: 'GATE_ERROR', reason: 'the gate failed on this request' });
          // The reason given: a statusMessage set before the failure may be what failed.
          res.writeHead(500, 'Internal Server Error', { ...JSON_HEADERS, 'content-length': String(new TextEncoder().encode(body).length) });
          res.end(body);
        } else res.destroy();
      } catch {
        res.destroy();
      }
    });
  };

  async function serve(req, res, controller) {
    const method = req.method;
    const encrypted = req.socket !== null && typeof req.socket === 'object' && req.socket.encrypted === true;
    // HTTP/1's Host, or HTTP/2's :authority (no Host there).
    const given = req.headers.host || req.headers[':authority'];
    const host = typeof given === 'string' && given !== '' ? given : 'localhost';
    // A host and a port, nothing more: a path or `\` in it would become part of the path served.
    if (!HOST_AND_PORT.test(host)) {
      return write(res, refusal(400, 'INVALID_PATH', 'the Host header is not a host and a port'), method);
    }
    // A path (origin-form) is put after the Host as written: `//cdn.example/x` stays a path (with
    // an empty segment, refused), never another authority. An absolute-form target is its own URL.
    const target = String(req.url);
    let url;
    try {
      url = new URL(target.startsWith('/') ? `${encrypted ? 'https' : 'http'}://${host}${target}` : target);
    } catch {
      return write(res, refusal(400, 'INVALID_PATH', 'the request target or the Host header is not a URL'), method);
    }
    if (url.username !== '' || url.password !== '' || !HOST_AND_PORT.test(url.host) || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      return write(res, refusal(400, 'INVALID_PATH', 'the request target or the Host header is not a host, a port and a path'), method);
    }
    const headers = new Headers();
    const raw = req.rawHeaders;
    for (let i = 0; i + 1 < raw.length; i += 2) {
      if (raw[i].startsWith(':')) continue; // HTTP/2 pseudo-headers
      if (HOP_HEADERS.has(raw[i].toLowerCase())) continue; // this hop's only, never passed on
      headers.append(raw[i], raw[i + 1]);
    }
    let request;
    try {
      request = new Request(url, { method, headers, signal: controller.signal });
    } catch {
      // A method a Request cannot carry (CONNECT, TRACE): refused as gate.fetch refuses every method but GET and HEAD.
      return write(res, refusal(405, 'METHOD_NOT_ALLOWED', `${String(method).slice(0, 20)}: the gate serves GET and HEAD only`, GET_OR_HEAD), method);
    }
    // The client's address, as Deno.serve hands it to a handler (`info.remoteAddr`).
    const response = await fetchHandler(request, { remoteAddr: { hostname: req.socket?.remoteAddress ?? null } });
    return write(res, response, method, controller.signal);
  }

  async function write(res, response, method, signal) {
    const out = {};
    for (const [name, value] of response.headers) {
      if (name === 'set-cookie' || HOP_HEADERS.has(name)) continue;
      out[name] = value;
    }
    const cookies = typeof response.headers.getSetCookie === 'function' ? response.headers.getSetCookie() : [];
    if (cookies.length > 0) out['set-cookie'] = cookies;
    const bodyless = method === 'HEAD' || response.status === 204 || response.status === 304 || response.body === null;
    // No reason phrase: the origin's may hold what Node refuses to write (and HTTP/2 has none).
    res.writeHead(response.status, out);
    if (bodyless) {
      response.body?.cancel().catch(() => {});
      res.end();
      return;
    }
    const reader = response.body.getReader();
    try {
      for (;;) {
        if (signal?.aborted || res.destroyed) {
          reader.cancel().catch(() => {});
          return;
        }
        const { done, value } = await reader.read();
        if (done) break;
        if (!res.write(value)) {
          await new Promise((resolve) => {
            const done$ = () => {
              res.off('drain', done$);
              res.off('close', done$);
              resolve();
            };
            res.on('drain', done$);
            res.on('close', done$);
          });
        }
      }
    } catch {
      // The origin's body broke (or the client left): the response cannot be completed.
      reader.cancel().catch(() => {});
      res.destroy();
      return;
    }
    res.end();
  }
}
