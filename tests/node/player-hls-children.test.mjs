// playgate/hls and what the real hls.js (1.7.4, in Node) loads beside the guarded player's
// playlists and fragments: the I-frame players of createIFramePlayer (built from the app's own
// configuration, without the guard's loaders), `config.loader`'s requests (a content steering
// manifest, a key, an interstitial's asset list), and an app's own playlist and fragment loaders
// (hls.js's CMCD wrappers). What is asserted is what reaches the network layer: the requests the
// app's loader is asked to send, with their URL and headers. Interstitial asset players need a
// media element: tests/node/player-hls.test.mjs plays one in Chromium.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as jose from 'jose';
import { PKG } from './helpers.mjs';
import { shakaGlobals } from './players-in-node.mjs';

shakaGlobals();
// hls.js keeps the levels whose codecs MediaSource says it plays: every one here.
globalThis.MediaSource ??= class { static isTypeSupported() { return true; } };
const { default: Hls } = await import('hls.js/dist/hls.mjs');
const { guardHls } = await import(path.join(PKG, 'players/hls.js'));
const { PermissionScope } = await import(path.join(PKG, 'node/index.mjs'));

const EDGE = 'https://edge.example';
const SCOPE = PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/demo/' } }] });
const HD = { allowed: true, code: null, maxQuality: 'HD', validUntil: null };
const token = await new jose.SignJWT({ scope: {} }).setProtectedHeader({ alg: 'HS256' }).setExpirationTime('10m').sign(new Uint8Array(32).fill(3));
const CODECS = 'CODECS="avc1.64001f,mp4a.40.2"';
const MEDIA = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-I-FRAMES-ONLY\n#EXTINF:4,\n#EXT-X-BYTERANGE:1000@0\nseg-1.ts\n#EXT-X-ENDLIST\n';
/** A master: 720p and 2160p variants, I-frame variants at both (the 720p one's URI given), a steering server. */
const master = (iframeUri) => [
  '#EXTM3U',
  `#EXT-X-CONTENT-STEERING:SERVER-URI="${EDGE}/demo/steering.json",PATHWAY-ID="a"`,
  `#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720,${CODECS}`, '720p/index.m3u8',
  `#EXT-X-STREAM-INF:BANDWIDTH=15000000,RESOLUTION=3840x2160,${CODECS}`, '2160p/index.m3u8',
  `#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=300000,RESOLUTION=1280x720,CODECS="avc1.64001f",URI="${iframeUri}"`,
  '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=900000,RESOLUTION=3840x2160,CODECS="avc1.640033",URI="2160p/iframes.m3u8"',
  '',
].join('\n');

/** An app's loader (hls.js's `loader` option): records what it is asked to send, answers from `files`. */
function recordingLoader(files) {
  const sent = [];
  class RecordingLoader {
    constructor() {
      this.stats = { aborted: false, loaded: 0, retry: 0, total: 0, chunkCount: 0, bwEstimate: 0, loading: { start: 0, first: 0, end: 0 }, parsing: { start: 0, end: 0 }, buffering: { start: 0, first: 0, end: 0 } };
    }

    load(context, _config, callbacks) {
      sent.push({ type: context.type, url: context.url, authorization: context.headers?.Authorization ?? null });
      const text = files[context.url.split('?')[0]] ?? (/\.m3u8$/.test(new URL(context.url).pathname) ? MEDIA : null);
      setTimeout(() => (text === null
        ? callbacks.onError({ code: 404, text: 'Not Found' }, context, null, this.stats)
        : callbacks.onSuccess({ url: context.url, data: text, code: 200 }, this.stats, context, null)));
    }

    abort() {}
    destroy() {}
  }
  return { RecordingLoader, sent };
}

/** A guarded player whose master is parsed (not loading): { hls, guard, sent, errors }. */
async function parsedPlayer({ iframeUri = '720p/iframes.m3u8', options = {}, config = {} } = {}) {
  const { RecordingLoader, sent } = recordingLoader({ [`${EDGE}/demo/master.m3u8`]: master(iframeUri), [`${EDGE}/demo/steering.json`]: '{"VERSION":1,"TTL":300,"PATHWAY-PRIORITY":["a"]}' });
  const hls = new Hls({ loader: RecordingLoader, enableWorker: false, autoStartLoad: false, ...config });
  const errors = [];
  hls.on(Hls.Events.ERROR, (_, data) => errors.push({ fatal: data.fatal, code: data.error?.code ?? null, details: data.details }));
  const guard = guardHls(hls, { decision: HD, token, scope: SCOPE, ...options });
  const parsed = new Promise((resolve) => { hls.once(Hls.Events.MANIFEST_PARSED, resolve); });
  hls.loadSource(`${EDGE}/demo/master.m3u8`);
  await parsed;
  return { hls, guard, sent, errors };
}

const settle = (ms = 300) => new Promise((resolve) => { setTimeout(resolve, ms); });
const heights = (levels) => levels.map((l) => l.height);

test('an I-frame player (createIFramePlayer) is guarded as the player is: its requests carry the token, none leaves outside the scope', async (t) => {
  const { hls, guard, sent } = await parsedPlayer();
  t.after(() => hls.destroy());
  assert.deepEqual(heights(hls.levels), [720], 'the capped ladder');
  assert.deepEqual(heights(hls.iframeVariants), [720], 'the capped I-frame ladder');
  const iframes = hls.createIFramePlayer();
  assert.ok(iframes, 'hls.js made an I-frame player');
  t.after(() => iframes.destroy());
  iframes.startLoad(0);
  await settle();
  const loaded = sent.filter((r) => r.url.includes('/iframes.m3u8'));
  assert.deepEqual(loaded.map((r) => r.url), [`${EDGE}/demo/720p/iframes.m3u8`], 'the I-frame player loaded its playlist');
  assert.ok(loaded.every((r) => r.authorization === `Bearer ${token}`), 'with the playback token');
  assert.ok(guard.requests.some((r) => r.url === `${EDGE}/demo/720p/iframes.m3u8` && r.allowed), 'in the guard\'s log');

  // An I-frame playlist outside the scope is refused before it leaves: a fatal error of the
  // I-frame player's own, with the code; the player it was made beside plays on.
  const other = await parsedPlayer({ iframeUri: '/other/720p/iframes.m3u8' });
  t.after(() => other.hls.destroy());
  const outside = other.hls.createIFramePlayer();
  t.after(() => outside.destroy());
  const childErrors = [];
  outside.on(Hls.Events.ERROR, (_, data) => childErrors.push({ fatal: data.fatal, code: data.error?.code ?? null }));
  outside.startLoad(0);
  await settle();
  assert.deepEqual(other.sent.filter((r) => r.url.includes('/other/')), [], 'nothing outside the scope was sent');
  assert.ok(childErrors.some((e) => e.fatal && e.code === 'SCOPE_DENIED'), JSON.stringify(childErrors));
  assert.deepEqual(other.errors.filter((e) => e.fatal), [], 'the player itself has no fatal error');
});

test('an I-frame player asked to start loading at once (autoStartLoad in its configuration) loads nothing unguarded', async (t) => {
  const other = await parsedPlayer({ iframeUri: '/other/720p/iframes.m3u8' });
  t.after(() => other.hls.destroy());
  const outside = other.hls.createIFramePlayer({ autoStartLoad: true });
  assert.ok(outside, 'hls.js made an I-frame player');
  t.after(() => outside.destroy());
  const childErrors = [];
  outside.on(Hls.Events.ERROR, (_, data) => childErrors.push({ fatal: data.fatal, code: data.error?.code ?? null }));
  await settle();
  assert.deepEqual(other.sent.filter((r) => r.url.includes('/other/')), [], 'nothing outside the scope was sent');
  assert.ok(other.guard.requests.some((r) => r.url.includes('/other/720p/iframes.m3u8') && r.reason === 'SCOPE_DENIED'), 'the guard refused it');
  assert.ok(childErrors.some((e) => e.fatal && e.code === 'SCOPE_DENIED'), JSON.stringify(childErrors));
  // In the scope, it starts by itself, through the guard, with the token.
  const { hls, guard, sent } = await parsedPlayer();
  t.after(() => hls.destroy());
  const iframes = hls.createIFramePlayer({ autoStartLoad: true });
  t.after(() => iframes.destroy());
  await settle();
  const loaded = sent.filter((r) => r.url.includes('/iframes.m3u8'));
  assert.deepEqual(loaded.map((r) => [r.url, r.authorization]), [[`${EDGE}/demo/720p/iframes.m3u8`, `Bearer ${token}`]]);
  assert.ok(guard.requests.some((r) => r.url === `${EDGE}/demo/720p/iframes.m3u8` && r.allowed));
});

test('config.loader\'s requests (steering, keys) carry the token to its origins and are refused once the decision no longer holds', async (t) => {
  let now = Date.now();
  const { hls, sent, errors } = await parsedPlayer({ options: { decision: { ...HD, validUntil: now + 60_000 }, clock: () => now } });
  t.after(() => hls.destroy());
  hls.startLoad(0);
  await settle();
  const steering = sent.filter((r) => r.type === 'steering-manifest');
  assert.equal(steering.length, 1, 'hls.js asked for the steering manifest');
  assert.equal(steering[0].authorization, `Bearer ${token}`, 'with the playback token (the manifest\'s origin)');

  // A key, loaded as hls.js's key loader loads one: a loader from config.loader.
  const loadKey = (url) => new Promise((resolve) => {
    const loader = new hls.config.loader(hls.config); // eslint-disable-line new-cap
    loader.load({ type: 'key', url, responseType: 'arraybuffer' }, { timeout: 1000, maxRetry: 0 }, {
      onSuccess: () => resolve('sent'), onError: (e) => resolve(e.code), onTimeout: () => resolve('timeout'),
    });
  });
  const before = sent.length;
  await loadKey(`${EDGE}/demo/key.bin`);
  await loadKey('https://keys.example/k/1');
  assert.deepEqual(sent.slice(before).map((r) => [r.url, r.authorization]), [
    [`${EDGE}/demo/key.bin`, `Bearer ${token}`],
    ['https://keys.example/k/1', null], // another host: the token does not go there
  ]);

  // The decision's validUntil passes: a key is refused before it is sent, a fatal ENTITLEMENT_EXPIRED.
  now += 61_000;
  const after = sent.length;
  assert.equal(await loadKey(`${EDGE}/demo/key.bin`), 403);
  await settle(50);
  assert.equal(sent.length, after, 'nothing was sent');
  assert.ok(errors.some((e) => e.fatal && e.code === 'ENTITLEMENT_EXPIRED'), JSON.stringify(errors));
});

test('an app\'s own playlist and fragment loaders (hls.js\'s CMCD wrappers) stay under the guard\'s', async (t) => {
  const { hls, sent } = await parsedPlayer({ config: { cmcd: { contentId: 'demo' } } });
  t.after(() => hls.destroy());
  hls.startLoad(0);
  await settle();
  const level = sent.find((r) => r.type === 'level');
  assert.ok(level, 'a level playlist was asked for');
  assert.match(level.url, /[?&]CMCD=/, 'hls.js\'s CMCD data is still added');
  assert.equal(level.authorization, `Bearer ${token}`, 'and the guard\'s token');
  assert.equal(new URL(level.url).pathname, '/demo/720p/index.m3u8');
});

test('detach puts the loaders and createIFramePlayer back', async (t) => {
  const { hls, guard, sent } = await parsedPlayer();
  t.after(() => hls.destroy());
  assert.ok(Object.hasOwn(hls, 'createIFramePlayer'));
  const iframes = hls.createIFramePlayer();
  t.after(() => iframes.destroy());
  assert.equal(iframes.config.loader.name, 'GuardedLoader', 'the I-frame player is guarded before detach');
  guard.detach();
  // What a loader of the player sends after it: no token of the guard's.
  await new Promise((resolve) => {
    new hls.config.loader(hls.config).load({ type: 'key', url: `${EDGE}/demo/key.bin` }, { timeout: 1000, maxRetry: 0 }, { onSuccess: resolve, onError: resolve, onTimeout: resolve }); // eslint-disable-line new-cap
  });
  assert.deepEqual(sent.at(-1), { type: 'key', url: `${EDGE}/demo/key.bin`, authorization: null });
  assert.equal(hls.config.pLoader, undefined);
  assert.equal(hls.config.fLoader, undefined);
  assert.equal(hls.config.loader.name, 'RecordingLoader');
  assert.equal(iframes.config.loader.name, 'RecordingLoader', 'the I-frame player\'s too');
  assert.equal(Object.hasOwn(hls, 'createIFramePlayer'), false);
});

test('a player hls.js reports making that the guard cannot reach is a fatal error of the main player: UNGUARDED_PLAYER', async (t) => {
  const { hls, errors } = await parsedPlayer();
  t.after(() => hls.destroy());
  // hls.js's own event, with a player of another shape than hls.js 1.7's (no .hls, not an hls.js).
  hls.trigger(Hls.Events.INTERSTITIAL_ASSET_PLAYER_CREATED, { player: { id: 'other' } });
  assert.ok(errors.some((e) => e.fatal && e.code === 'UNGUARDED_PLAYER'), JSON.stringify(errors));
  const { hls: other, errors: otherErrors } = await parsedPlayer();
  t.after(() => other.destroy());
  other.trigger(Hls.Events.INTERSTITIAL_ASSET_PLAYER_CREATED, {});
  assert.ok(otherErrors.some((e) => e.fatal && e.code === 'UNGUARDED_PLAYER'), 'an event naming no player too');
  const { hls: third, errors: thirdErrors } = await parsedPlayer();
  t.after(() => third.destroy());
  third.trigger(Hls.Events.INTERSTITIAL_ASSET_PLAYER_CREATED, { get player() { throw new Error('no'); } });
  assert.ok(thirdErrors.some((e) => e.fatal && e.code === 'UNGUARDED_PLAYER'), 'and one whose player cannot be read');
});

/** hls.js's default loader (XhrLoader) over a stand-in XMLHttpRequest: what is sent; `status(url)` answers each try. */
function standInXhr(t, status) {
  const sent = [];
  const saved = globalThis.XMLHttpRequest;
  globalThis.status ??= ''; // hls.js's retry log line reads window.status
  globalThis.XMLHttpRequest = class {
    constructor() { this.readyState = 0; this.headers = {}; this.status = 0; }
    open(_method, url) { this.url = url; this.readyState = 1; }
    setRequestHeader(name, value) { this.headers[name] = value; }
    send() {
      sent.push({ url: this.url, authorization: this.headers.Authorization ?? null });
      const code = status(this.url);
      setTimeout(() => {
        this.readyState = 4;
        this.status = code;
        this.response = this.responseType === 'arraybuffer' ? new ArrayBuffer(16) : this.responseType === 'json' ? {} : this.url.includes('.m3u8') ? master('720p/iframes.m3u8') : '';
        this.responseText = typeof this.response === 'string' ? this.response : '';
        this.responseURL = this.url;
        this.onreadystatechange?.();
      }, 1);
    }
    abort() {}
    getAllResponseHeaders() { return ''; }
    getResponseHeader() { return null; }
  };
  t.after(() => { globalThis.XMLHttpRequest = saved; });
  return sent;
}
const FAST_RETRY = { maxTimeToFirstByteMs: 8000, maxLoadTimeMs: 20000, timeoutRetry: null, errorRetry: { maxNumRetry: 3, retryDelayMs: 40, maxRetryDelayMs: 40 } };

test('hls.js\'s own loader retries inside the loader (a key, a master): each retry is checked again, and none leaves once the decision no longer holds', async (t) => {
  let failures = 0;
  const sent = standInXhr(t, (url) => (url.includes('/key.bin') && failures-- > 0 ? 503 : 200));
  let now = Date.now();
  const hls = new Hls({ enableWorker: false, autoStartLoad: false });
  t.after(() => hls.destroy());
  const errors = [];
  hls.on(Hls.Events.ERROR, (_, data) => errors.push({ fatal: data.fatal, code: data.error?.code ?? null }));
  const guard = guardHls(hls, { decision: { ...HD, validUntil: now + 60_000 }, token, scope: SCOPE, clock: () => now });
  const loadKey = () => new Promise((resolve) => {
    const loader = new hls.config.loader(hls.config); // eslint-disable-line new-cap
    loader.load({ type: 'key', url: `${EDGE}/demo/key.bin`, responseType: 'arraybuffer' }, { loadPolicy: FAST_RETRY, timeout: 8000, maxRetry: 0, retryDelay: 0, maxRetryDelay: 0 }, {
      onSuccess: () => resolve('loaded'), onError: (e) => resolve(e.code), onTimeout: () => resolve('timeout'),
    });
  });
  // Within the decision: the loader's retry goes out, checked.
  failures = 1;
  assert.equal(await loadKey(), 'loaded');
  assert.equal(sent.length, 2, 'a first try and its retry');
  assert.equal(guard.requests.length, 2, 'both checked');
  // The decision ends while the loader waits to retry: the retry is refused, never sent.
  sent.length = 0;
  failures = 3;
  const pending = loadKey();
  await settle(10);
  assert.equal(sent.length, 1, 'the first try');
  now += 61_000;
  assert.equal(await pending, 403);
  await settle(100);
  assert.equal(sent.length, 1, `no retry after the decision ended: ${JSON.stringify(sent)}`);
  assert.equal(guard.requests.at(-1).reason, 'ENTITLEMENT_EXPIRED');
  assert.ok(errors.some((e) => e.fatal && e.code === 'ENTITLEMENT_EXPIRED'), JSON.stringify(errors));
});

test('with CMCD on (hls.js wraps the playlist and fragment loaders around loaders of its own), a master\'s retry is checked again too', async (t) => {
  let failures = 3;
  const sent = standInXhr(t, (url) => (url.includes('master.m3u8') && failures-- > 0 ? 503 : 200));
  let now = Date.now();
  const hls = new Hls({ enableWorker: false, autoStartLoad: false, cmcd: {}, manifestLoadPolicy: { default: FAST_RETRY } });
  t.after(() => hls.destroy());
  const errors = [];
  hls.on(Hls.Events.ERROR, (_, data) => errors.push({ fatal: data.fatal, code: data.error?.code ?? null }));
  const guard = guardHls(hls, { decision: { ...HD, validUntil: now + 60_000 }, token, scope: SCOPE, clock: () => now });
  hls.loadSource(`${EDGE}/demo/master.m3u8`);
  await settle(10);
  assert.equal(sent.length, 1, 'the first try');
  assert.match(sent[0].url, /CMCD=/, 'through hls.js\'s CMCD wrapper');
  now += 61_000;
  await settle(200);
  assert.equal(sent.length, 1, `no retry after the decision ended: ${JSON.stringify(sent)}`);
  assert.equal(guard.requests.at(-1).reason, 'ENTITLEMENT_EXPIRED');
  assert.ok(errors.some((e) => e.fatal && e.code === 'ENTITLEMENT_EXPIRED'), JSON.stringify(errors));
});

test('under a cap a content steering clone cannot name its own URIs: a 720p level is never pointed at the 2160p playlist (hls.js keeps the base level\'s size for a clone)', async (t) => {
  const steered = ['#EXTM3U', `#EXT-X-CONTENT-STEERING:SERVER-URI="${EDGE}/demo/steering.json",PATHWAY-ID="a"`,
    `#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720,STABLE-VARIANT-ID="v720",PATHWAY-ID="a",${CODECS}`, '720p/index.m3u8',
    `#EXT-X-STREAM-INF:BANDWIDTH=15000000,RESOLUTION=3840x2160,STABLE-VARIANT-ID="v2160",PATHWAY-ID="a",${CODECS}`, '2160p/index.m3u8', ''].join('\n');
  const steering = { VERSION: 1, TTL: 300, 'PATHWAY-PRIORITY': ['b', 'a'],
    'PATHWAY-CLONES': [{ ID: 'b', 'BASE-ID': 'a', 'URI-REPLACEMENT': { PARAMS: { cdn: 'b' }, 'PER-VARIANT-URIS': { v720: `${EDGE}/demo/2160p/index.m3u8` } } }] };
  const run = async (guarded) => {
    const { RecordingLoader, sent } = recordingLoader({ [`${EDGE}/demo/master.m3u8`]: steered });
    // The steering manifest as hls.js's loaders hand it over (responseType json: the parsed object).
    class Loader extends RecordingLoader {
      load(context, config, callbacks) {
        if (context.type !== 'steering-manifest') return super.load(context, config, callbacks);
        sent.push({ type: context.type, url: context.url, authorization: context.headers?.Authorization ?? null });
        setTimeout(() => callbacks.onSuccess({ url: context.url, data: structuredClone(steering), code: 200 }, this.stats, context, null));
      }
    }
    const hls = new Hls({ loader: Loader, enableWorker: false, autoStartLoad: false });
    t.after(() => hls.destroy());
    if (guarded) guardHls(hls, { decision: HD, token, scope: SCOPE });
    const parsed = new Promise((resolve) => { hls.once(Hls.Events.MANIFEST_PARSED, resolve); });
    hls.loadSource(`${EDGE}/demo/master.m3u8`);
    await parsed;
    hls.startLoad(0);
    await settle(500);
    return { levels: hls.levels.map((l) => [l.height, l.uri ?? l.url?.[0]]), sent };
  };
  // Unguarded, hls.js puts the 2160p playlist behind the 720p level of pathway b (the danger).
  const bare = await run(false);
  assert.ok(bare.levels.some(([height, uri]) => height === 720 && uri.includes('/2160p/')), JSON.stringify(bare.levels));
  // Guarded under HD: pathway b's 720p level keeps the 720p path (PARAMS still apply).
  const { levels, sent } = await run(true);
  assert.ok(levels.length > 0 && levels.every(([height, uri]) => height === 720 && uri.includes('/720p/')), JSON.stringify(levels));
  assert.ok(levels.some(([, uri]) => uri.includes('cdn=b')), `the clone is there: ${JSON.stringify(levels)}`);
  assert.deepEqual(sent.filter((r) => r.url.includes('/2160p/')), []);
});

/**
 * The browser's XMLHttpRequest as hls.js's EME controller uses it (Node has none): records what
 * would be sent, answers 200 with a licence's bytes. Headers may be set only once opened (as
 * the XHR standard says), or it throws as a browser does.
 */
function recordingXhr() {
  const sent = [];
  class RecordingXhr {
    static DONE = 4;
    readyState = 0;
    status = 0;
    #headers = [];
    #listeners = [];
    open(method, url) {
      this.readyState = 1;
      this.method = method;
      this.url = url;
      this.#headers = [];
    }
    setRequestHeader(name, value) {
      if (this.readyState !== 1) throw new Error('InvalidStateError: setRequestHeader before open');
      this.#headers.push([name, value]);
    }
    addEventListener(type, listener) {
      if (type === 'loadend') this.#listeners.push(listener);
    }
    send(body) {
      const authorization = this.#headers.filter(([n]) => n.toLowerCase() === 'authorization').map(([, v]) => v).join(', ');
      sent.push({ method: this.method, url: this.url, authorization: authorization || null, body });
      setTimeout(() => {
        this.readyState = 4;
        this.status = 200;
        this.response = new Uint8Array([1, 2, 3]).buffer;
        this.onreadystatechange?.();
        for (const listener of this.#listeners) listener();
      });
    }
    abort() {}
  }
  return { RecordingXhr, sent };
}

test('a DRM licence request (hls.js\'s EME controller, its own XHR) is held to the decision and carries the token to its origins; an app\'s licenseXhrSetup runs first, its own Authorization kept', async (t) => {
  const { RecordingXhr, sent } = recordingXhr();
  const savedXhr = globalThis.XMLHttpRequest;
  globalThis.XMLHttpRequest = RecordingXhr;
  t.after(() => { globalThis.XMLHttpRequest = savedXhr; });
  const keySystem = 'org.w3.clearkey';
  /** hls.js's own licence request for one key, as its EME controller makes it on a CDM's message. */
  const requestLicense = (hls) => {
    const levelKey = { uri: 'data:text/plain;base64,AAAA' };
    const context = { keySystem, mediaKeysSession: {}, keyRequests: { [levelKey.uri]: { requestErrors: [] } } };
    return hls.emeController.requestLicense(context, levelKey, new Uint8Array([9, 9]));
  };
  const player = async ({ licenseUrl, options = {}, config = {} }) => {
    const made = await parsedPlayer({ options, config: { emeEnabled: true, drmSystems: { [keySystem]: { licenseUrl } }, ...config } });
    t.after(() => made.hls.destroy());
    return made;
  };
  const last = () => sent.at(-1);

  // On the manifest's origin: sent by hls.js with the playback token, logged with its status.
  const edge = await player({ licenseUrl: `${EDGE}/license` });
  const licence = await requestLicense(edge.hls);
  assert.deepEqual(new Uint8Array(licence), new Uint8Array([1, 2, 3]), 'hls.js got the licence');
  assert.deepEqual(last(), { method: 'POST', url: `${EDGE}/license`, authorization: `Bearer ${token}`, body: new Uint8Array([9, 9]) });
  assert.deepEqual(edge.guard.requests.at(-1), { url: `${EDGE}/license`, allowed: true, reason: null, status: 200 });

  // With tokenIn 'query': in the URL. On another host (a DRM vendor's): without the token.
  const query = await player({ licenseUrl: `${EDGE}/license`, options: { tokenIn: 'query' } });
  await requestLicense(query.hls);
  assert.equal(last().url, `${EDGE}/license?token=${token}`);
  assert.equal(last().authorization, null);
  const vendor = await player({ licenseUrl: 'https://license.example/clearkey' });
  await requestLicense(vendor.hls);
  assert.deepEqual([last().url, last().authorization], ['https://license.example/clearkey', null]);

  // An app's own hook (hls.js's documented form: it opens the request and sets headers) runs
  // first: its Authorization (a DRM vendor's token) is kept, never joined with ours; a request it
  // opens to another host gets no token, whatever URL hls.js named.
  const appSetup = function licenseXhrSetup(xhr, url) {
    xhr.open('POST', url, true);
    xhr.setRequestHeader('Authorization', 'Bearer vendor');
  };
  const app = await player({ licenseUrl: `${EDGE}/license`, config: { licenseXhrSetup: appSetup } });
  await requestLicense(app.hls);
  assert.equal(last().authorization, 'Bearer vendor');
  const moved = await player({ licenseUrl: `${EDGE}/license`, config: { licenseXhrSetup(xhr) { xhr.open('POST', 'https://license.example/moved', true); } } });
  await requestLicense(moved.hls);
  assert.deepEqual([last().url, last().authorization], ['https://license.example/moved', null]);
  app.guard.detach();
  assert.equal(app.hls.config.licenseXhrSetup, appSetup, 'detach puts the app\'s hook back');

  // Once the decision's validUntil has passed: refused before anything is sent, logged once, a
  // fatal hls.js error with the code.
  let now = 1_000;
  const ending = await player({ licenseUrl: `${EDGE}/license`, options: { decision: { ...HD, validUntil: 2_000 }, clock: () => now } });
  now = 2_000;
  const before = sent.length;
  await assert.rejects(requestLicense(ending.hls));
  assert.equal(sent.length, before, 'nothing sent');
  assert.deepEqual(ending.guard.requests.filter((r) => r.url === `${EDGE}/license`), [{ url: `${EDGE}/license`, allowed: false, reason: 'ENTITLEMENT_EXPIRED', status: null }]);
  assert.ok(ending.errors.some((e) => e.fatal && e.code === 'ENTITLEMENT_EXPIRED'), JSON.stringify(ending.errors));
});
