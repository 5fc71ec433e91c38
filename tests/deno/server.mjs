// Deno, importing the package's web entry (what the `deno` export condition picks) from disk,
// serving on 127.0.0.1 for tests/node/deno.test.mjs:
//   GET  /health    -> { ok, codes }  after init() fetched the .wasm next to the entry (file: URL)
//   POST /decide    { policy?, blob | dictionary, request } -> the decision, or 400 { code, message }
//   POST /cache-op  one CacheClient / EntitlementStore operation (www/cache-runner.js) against
//                   the cache emulator, through Deno's own fetch -> its JSON outcome
// Args: <package dir> <port>.
const [pkgDir, port] = Deno.args;
const entry = new URL(`file://${pkgDir}/web/index.js`);
const playgate = await import(entry.href);
const { runCacheOp } = await import(new URL('../../www/cache-runner.js', import.meta.url).href);
await playgate.default(); // fetches playgate_bg.wasm beside the entry, as in a browser

const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

Deno.serve({ hostname: '127.0.0.1', port: Number(port), onListen() {} }, async (request) => {
  const url = new URL(request.url);
  if (url.pathname === '/health') return json(200, { ok: true, codes: playgate.DECISION_CODES.length });
  if (request.method !== 'POST') return json(404, { code: 'NOT_FOUND' });
  const body = await request.json();
  if (url.pathname === '/cache-op') return json(200, await runCacheOp(playgate, body));
  if (url.pathname === '/decide') {
    let policy, ent;
    try {
      policy = body.policy ? playgate.Policy.fromJson(body.policy) : new playgate.Policy();
      ent = body.dictionary !== undefined ? playgate.Entitlement.fromDictionary(body.dictionary) : playgate.Entitlement.fromBlob(body.blob);
      return json(200, policy.evaluate(ent, body.request));
    } catch (error) {
      return json(400, { code: error.code ?? null, message: String(error.message) });
    } finally {
      ent?.free();
      policy?.free();
    }
  }
  return json(404, { code: 'NOT_FOUND' });
});
