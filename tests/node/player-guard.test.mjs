// The player guards' common part (js/players/guard.mjs) on its own, in Node: the options' coded
// errors, the request check (decision, cap, scope), the token in the query, and the refresh: due
// `refreshBeforeSeconds` before the token's exp, retried with back-off on failure, and at exp a
// fatal TOKEN_REFRESH_FAILED (never playing on with an expired token). Tokens are jose-signed
// JWTs, their exp read back by jose's decodeJwt (truth from outside the guard).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as jose from 'jose';
import { PKG } from './helpers.mjs';
import { guardCore, tokenExpiry } from '../../js/players/guard.mjs';

const { PermissionScope, Policy, Entitlement } = await import(path.join(PKG, 'node/index.mjs'));
const secret = new Uint8Array(32).fill(7);
const token = (seconds) => new jose.SignJWT({ scope: {} }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) + seconds).sign(secret);
const HD = { allowed: true, code: null, maxQuality: 'HD', validUntil: null };

test('tokenExpiry reads exp as jose does; anything else is null', async () => {
  const t = await token(60);
  assert.equal(tokenExpiry(t), jose.decodeJwt(t).exp);
  for (const bad of ['', 'x', 'a.b.c', 'a.!!.c', `a.${Buffer.from('{"exp":"soon"}').toString('base64url')}.c`]) assert.equal(tokenExpiry(bad), null, bad);
});

test('the request check: the decision, the cap, the scope; the token in the query', async () => {
  const scope = PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/demo/' } }] });
  const t = await token(600);
  const core = guardCore({ decision: HD, token: t, scope, tokenIn: 'query' }, () => assert.fail('no failure expected'));
  assert.deepEqual(core.check('https://edge.example/demo/1080p/seg-1.m4s', 'HD'), { allowed: true, reason: null });
  assert.deepEqual(core.check('https://edge.example/demo/2160p/seg-1.m4s', 'UHD1'), { allowed: false, reason: 'QUALITY_EXCEEDS_ENTITLEMENT' });
  assert.deepEqual(core.check('https://edge.example/other/1080p/seg-1.m4s', 'HD'), { allowed: false, reason: 'SCOPE_DENIED' });
  assert.deepEqual(core.check('https://edge.example/demo/%E0%A4%A/x', null), { allowed: false, reason: 'INVALID_PATH' });
  assert.equal(new URL(core.withToken('https://edge.example/demo/a.m4s?x=1')).searchParams.get('token'), t);
  const denied = guardCore({ decision: { allowed: false, code: 'COUNTRY_NOT_ALLOWED', maxQuality: null } }, () => {});
  assert.deepEqual(denied.check('https://edge.example/demo/480p/seg-1.m4s', 'SD'), { allowed: false, reason: 'COUNTRY_NOT_ALLOWED' });
  for (const options of [null, {}, { decision: { allowed: 'yes' } }, { decision: { allowed: true, maxQuality: 'FHD' } }, { decision: HD, token: 5 },
    { decision: HD, scope: {} }, { decision: HD, refresh: 'x' }, { decision: HD, refreshBeforeSeconds: -1 }, { decision: HD, tokenIn: 'cookie' },
    // A misspelt option: `scopes` would leave the scope check off unseen.
    { decision: HD, scopes: scope }, { decision: HD, token: t, refreshBefore: 30 },
    // The same, as destructuring also reads it: non-enumerable, inherited, a class's getter.
    Object.defineProperty({ decision: HD }, 'scopes', { value: scope }), Object.assign(Object.create({ scopes: scope }), { decision: HD }),
    new (class { get decision() { return HD; } get scopes() { return scope; } })(),
    // A misspelt function option (`clok`: the guard would run on the device's clock), inherited
    // or a class's method.
    Object.assign(Object.create({ clok: () => 0 }), { decision: HD }), new (class { constructor() { this.decision = HD; } clok() { return 0; } })()]) {
    assert.throws(() => guardCore(options, () => {}), { code: 'INVALID_ARGUMENT' }, JSON.stringify(options));
  }
});

test('the decision is read once: a getter that answers "allowed" later allows nothing; one that throws is INVALID_ARGUMENT', () => {
  let reads = 0;
  const flipping = { get allowed() { reads++; return reads > 1; }, code: 'ENTITLEMENT_EXPIRED', maxQuality: null };
  const core = guardCore({ decision: flipping }, () => {});
  for (let i = 0; i < 3; i++) {
    assert.deepEqual(core.check('https://edge.example/demo/480p/seg-1.m4s', 'SD'), { allowed: false, reason: 'ENTITLEMENT_EXPIRED' });
  }
  assert.equal(reads, 1);
  const throwing = { get allowed() { throw new Error('boom'); } };
  assert.throws(() => guardCore({ decision: throwing }, () => {}), (e) => e.code === 'INVALID_ARGUMENT' && /boom/.test(e.message));
});

test('refresh: called refreshBeforeSeconds before exp; the new token is used', async () => {
  const first = await token(3);
  const next = await token(600);
  let calls = 0;
  const core = guardCore({ decision: HD, token: first, refreshBeforeSeconds: 2.5, refresh: async () => { calls++; return next; } }, () => assert.fail('no failure'));
  core.start();
  await new Promise((r) => setTimeout(r, 1500));
  core.stop();
  assert.equal(calls, 1);
  assert.equal(core.token, next);
});

test('a refresh that keeps failing is retried with back-off, then at exp a fatal TOKEN_REFRESH_FAILED; requests are refused after it', async () => {
  const first = await token(4);
  const attempts = [];
  let failure = null;
  const started = Date.now();
  const core = guardCore({ decision: HD, token: first, refreshBeforeSeconds: 4, refresh: async () => { attempts.push(Date.now() - started); throw new Error('backend down'); } }, (error) => { failure = error; });
  core.start();
  await new Promise((r) => setTimeout(r, 5000));
  core.stop();
  assert.ok(attempts.length >= 2, `retried: ${attempts}`);
  assert.ok(attempts[1] - attempts[0] >= 900, 'a second after the first');
  assert.ok(failure !== null && failure.code === 'TOKEN_REFRESH_FAILED', String(failure?.code));
  assert.match(failure.message, /backend down/);
  assert.equal(core.token, null);
  assert.deepEqual(core.check('https://edge.example/demo/480p/seg-1.m4s', 'SD'), { allowed: false, reason: 'TOKEN_EXPIRED' });
});

test('the request log keeps the latest 10,000 requests, and never more than 11,000 (a live stream runs for days)', () => {
  const core = guardCore({ decision: HD }, () => {});
  let n = 0;
  let longest = 0;
  for (let round = 0; round < 25; round++) {
    for (let i = 0; i < 1_000; i++) core.log(`https://edge.example/demo/1080p/seg-${++n}.m4s`, { allowed: true, reason: null });
    longest = Math.max(longest, core.requests.length);
    assert.ok(core.requests.length >= Math.min(n, 10_000), `${core.requests.length} kept after ${n}`);
    assert.equal(core.requests.at(-1).url, `https://edge.example/demo/1080p/seg-${n}.m4s`);
    // In request order, none missing from the oldest kept to the newest.
    assert.equal(core.requests[0].url, `https://edge.example/demo/1080p/seg-${n - core.requests.length + 1}.m4s`);
  }
  assert.ok(longest <= 11_000, `the log held ${longest}`);
});

test('an allowed decision must say its cap and its end: none is read as uncapped or for ever', () => {
  for (const decision of [{ allowed: true, code: null }, { allowed: true, code: null, maxQuality: 'HD' }, { allowed: true, maxQuality: undefined, validUntil: null },
    { allowed: true, maxQuality: 'toString', validUntil: null }, { allowed: true, maxQuality: 'HD', validUntil: '2030-01-01' }]) {
    assert.throws(() => guardCore({ decision }, () => {}), { code: 'INVALID_ARGUMENT' }, JSON.stringify(decision));
  }
  // A denial needs neither (it allows nothing).
  assert.equal(guardCore({ decision: { allowed: false, code: 'COUNTRY_NOT_ALLOWED' } }, () => {}).check('https://edge.example/demo/a.ts', 'SD').allowed, false);
});

test('the guard holds a decision until its validUntil, as evaluate does (docs/decision-rules.md)', () => {
  const policy = new Policy();
  const until = Date.parse('2026-12-07T13:00:00Z');
  const ent = Entitlement.fromBlob(JSON.stringify({ valid_until: new Date(until).toISOString(), max_quality: 'HD' }));
  const decision = policy.evaluate(ent, { entityId: 'demo', now: until - 60_000 });
  assert.equal(decision.validUntil, until);
  let now = until - 1;
  const core = guardCore({ decision, clock: () => now }, () => {});
  assert.equal(core.check('https://edge.example/demo/480p/seg-1.m4s', 'SD').allowed, true);
  now = until;
  const later = policy.evaluate(ent, { entityId: 'demo', now });
  assert.deepEqual([later.allowed, later.code], [false, 'ENTITLEMENT_EXPIRED'], 'evaluate at that instant');
  assert.deepEqual(core.check('https://edge.example/demo/480p/seg-1.m4s', 'SD'), { allowed: false, reason: 'ENTITLEMENT_EXPIRED' });
});

test('a clock that gives no finite time holds no decision: refused ENTITLEMENT_EXPIRED; a clock or a cacheName of the wrong type is INVALID_ARGUMENT', async () => {
  const policy = new Policy();
  const until = Date.parse('2026-12-07T13:00:00Z');
  const ent = Entitlement.fromBlob(JSON.stringify({ valid_until: new Date(until).toISOString(), max_quality: 'HD' }));
  const decision = policy.evaluate(ent, { entityId: 'demo', now: until - 60_000 });
  assert.equal(decision.validUntil, until);
  // A clock that reads past validUntil: evaluate itself then denies (docs/decision-rules.md check 2).
  assert.equal(policy.evaluate(ent, { entityId: 'demo', now: until + 3_600_000 }).code, 'ENTITLEMENT_EXPIRED');
  // Clocks whose answer is not a time: `() => Date.now` (a typo), an ISO string, NaN, undefined.
  for (const clock of [() => Date.now, () => new Date(until + 3_600_000).toISOString(), () => NaN, () => undefined, () => Infinity]) {
    const core = guardCore({ decision, clock }, () => {});
    assert.deepEqual(core.check('https://edge.example/demo/480p/seg-1.m4s', 'SD'), { allowed: false, reason: 'ENTITLEMENT_EXPIRED' }, String(clock));
    assert.deepEqual(core.checkAside(), { allowed: false, reason: 'ENTITLEMENT_EXPIRED' }, String(clock));
  }
  for (const options of [{ clock: 5 }, { clock: Date.now() }, { cacheName: 5 }, { cacheName: null }, { cacheName: {} }, { cacheName: '' }]) {
    assert.throws(() => guardCore({ decision: HD, ...options }, () => {}), { code: 'INVALID_ARGUMENT' }, JSON.stringify(options));
  }
  // A refresh with a clock that gives no time fails at once (TOKEN_REFRESH_FAILED), never loops.
  const failures = [];
  const t = await token(600);
  const core = guardCore({ decision: HD, token: t, refresh: async () => token(600), clock: () => NaN }, (e) => failures.push(e.code));
  core.start();
  await new Promise((resolve) => { setTimeout(resolve, 100); });
  core.stop();
  assert.deepEqual(failures, ['TOKEN_REFRESH_FAILED']);
});

test('video of no known quality is refused under a cap (as filterManifest refuses it), allowed without one', async () => {
  const { UNKNOWN_VIDEO } = await import('../../js/players/guard.mjs');
  const capped = guardCore({ decision: HD }, () => {});
  assert.deepEqual(capped.check('https://edge.example/demo/video/seg-1.m4s', UNKNOWN_VIDEO), { allowed: false, reason: 'RENDITION_UNKNOWN' });
  assert.equal(capped.check('https://edge.example/demo/audio/seg-1.m4s', null).allowed, true, 'not video: audio, a playlist');
  const uncapped = guardCore({ decision: { allowed: true, code: null, maxQuality: null, validUntil: null } }, () => {});
  assert.equal(uncapped.check('https://edge.example/demo/video/seg-1.m4s', UNKNOWN_VIDEO).allowed, true);
});

test('a refresh that never answers, or answers with an expired token, is a failure: TOKEN_REFRESH_FAILED at exp, not a loop', async () => {
  const stale = await new jose.SignJWT({}).setProtectedHeader({ alg: 'HS256' }).setExpirationTime(Math.floor(Date.now() / 1000) - 10).sign(secret);
  assert.ok(jose.decodeJwt(stale).exp * 1000 < Date.now(), 'jose reads it as expired');
  for (const [what, refresh] of [['never answers', () => new Promise(() => {})], ['an expired token', async () => stale]]) {
    let failure = null;
    let calls = 0;
    const core = guardCore({ decision: HD, token: await token(2), refreshBeforeSeconds: 1, refresh: () => { calls++; return refresh(); } }, (error) => { failure = error; });
    core.start();
    await new Promise((r) => setTimeout(r, 3500));
    core.stop();
    assert.equal(failure?.code, 'TOKEN_REFRESH_FAILED', what);
    assert.ok(calls <= 3, `${what}: ${calls} calls (retried with back-off)`);
    assert.deepEqual(core.check('https://edge.example/demo/480p/seg-1.m4s', 'SD'), { allowed: false, reason: 'TOKEN_EXPIRED' }, what);
  }
});

test('a path an origin may read as another file is refused INVALID_PATH; what is allowed stays in the scope however an origin reads it', () => {
  // The readings are Node's (decodeURIComponent, String.prototype.normalize, path.posix.normalize),
  // as tests/node/gate-paths.test.mjs reads what the gate lets through: decoded once or twice,
  // Unicode normalised (NFKC), `;params` dropped (Tomcat, Jetty, Spring), dot segments resolved.
  const scope = PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/demo/' } }] });
  const core = guardCore({ decision: HD, scope }, () => {});
  const decode = (s) => { try { return decodeURIComponent(s); } catch { return s; } };
  const readings = (raw) => {
    const out = new Set();
    for (const once of [decode(raw), decode(decode(raw))]) {
      for (const text of [once, once.normalize('NFKC')]) {
        for (const t of [text, text.split('/').map((seg) => seg.split(';')[0]).join('/')]) out.add(path.posix.normalize(t));
      }
      // Decoded, then parsed as a URL: tab, LF and CR dropped, dot segments resolved.
      out.add(decode(new URL(once.replace(/[?#%]/g, encodeURIComponent), 'https://origin.example').pathname));
    }
    return [...out];
  };
  const paths = ['/demo/480p/seg-1.m4s', '/demo/caf%C3%A9/seg.m4s', '/demo/..%2Fother/x.m4s', '/demo/%2e%2e/other/x.m4s', '/demo/..;/other/x.m4s',
    '/demo/%252e%252e/other/x.m4s', '/demo/%EF%BC%8E%EF%BC%8E/other/x.m4s', '/demo/..%CD%BE/other/x.m4s', '/demo/1080p%3B/x.m4s', '/demo/a%5C..%5C..%5Cother/x.m4s',
    '/demo//x.m4s', '/demo/x.m4s%00.ts', '/demo/%09../other/x.m4s', '/demo/..%0A/other/x.m4s', '/demo/.%0D./other/x.m4s', '/demo/%20../other/x.m4s'];
  let allowed = 0;
  let refused = 0;
  for (const p of paths) {
    const verdict = core.check(`https://edge.example${p}`, 'SD');
    if (verdict.allowed) {
      allowed++;
      for (const r of readings(p)) assert.ok(r.startsWith('/demo/'), `${p} read as ${r}`);
    } else {
      refused++;
      // SCOPE_DENIED where the URL parser itself resolved the path elsewhere (`%2e%2e` is `..` to it).
      assert.ok(['INVALID_PATH', 'SCOPE_DENIED'].includes(verdict.reason), `${p}: ${verdict.reason}`);
    }
  }
  assert.ok(allowed >= 2 && refused >= 12, `${allowed} allowed, ${refused} refused`);
});

test('the token goes only to the origin of the first request (the manifest) and to `origins`', async () => {
  const t = await token(600);
  const core = guardCore({ decision: HD, token: t, tokenIn: 'query', origins: ['https://cdn.example'] }, () => {});
  assert.equal(core.tokenGoesTo('https://edge.example/demo/a.m4s'), false, 'before any request, no origin is the manifest\'s');
  assert.equal(core.check('https://edge.example/demo/master.m3u8', null).allowed, true);
  for (const [url, goes] of [['https://edge.example/demo/a.m4s', true], ['https://cdn.example/demo/a.m4s', true], ['https://ads.example/demo/a.m4s', false], ['http://edge.example/demo/a.m4s', false]]) {
    assert.equal(core.tokenGoesTo(url), goes, url);
    assert.equal(new URL(core.withToken(url)).searchParams.get('token'), goes ? t : null, url);
  }
  for (const origins of ['https://cdn.example', ['https://cdn.example/'], ['cdn.example'], ['https://cdn.example/x'], [5], ['http://['], ['https://a b']]) {
    assert.throws(() => guardCore({ decision: HD, origins }, () => {}), { code: 'INVALID_ARGUMENT' }, JSON.stringify(origins));
  }
});

test('urlParts reads a URL\'s origin and path as the WHATWG parser does (its hand-read fast path included)', async () => {
  const { urlParts } = await import('../../js/players/guard.mjs');
  const schemes = ['http', 'https', 'HTTPS', 'ftp'];
  const hosts = ['edge.example', 'EDGE.example', 'a-b.c0.example', '127.0.0.1', '[::1]', 'user:pw@edge.example', 'xn--bcher-kva.example', 'bücher.example', 'edge.example.'];
  const ports = ['', ':80', ':443', ':8080', ':08080', ':65535', ':65536', ':0'];
  const paths = ['', '/', '/demo/1080p/seg-1.m4s', '/demo/./x', '/demo/../x', '/demo/%2e%2E/x', '/demo/.hidden', '/a b', '/a\\b', '/ü', '/a;b', '/%41', '/a//b', '/a/.', '/a/..'];
  const tails = ['', '?token=1', '#f', '?a=/b?c#d'];
  let checked = 0;
  for (const scheme of schemes) for (const host of hosts) for (const port of ports) for (const p of paths) for (const tail of tails) {
    const url = `${scheme}://${host}${port}${p}${tail}`;
    let expected = null;
    try {
      const u = new URL(url, 'https://player.example/watch');
      expected = { origin: u.origin, pathname: u.pathname };
    } catch {
      // not a URL: null
    }
    assert.deepEqual(urlParts(url), expected, url);
    checked++;
  }
  assert.ok(checked > 10_000);
});
