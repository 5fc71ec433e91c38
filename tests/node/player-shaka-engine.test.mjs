// playgate/shaka's filters inside Shaka Player's own NetworkingEngine (shaka-player from the test
// dependencies, its compiled build, in Node with a stub window): what Shaka sends is what its
// engine does, not what this test supposes. A scheme plugin stands in for the network and
// records every request the engine sends. The browser tests (player-shaka.test.mjs) play whole
// streams; these cover what a stream there does not reach: a request whose first URI fails,
// where the engine sends the next URI on its retry (a DASH BaseURL's fallbacks), and a
// manifest in UTF-16, which Shaka reads by its byte order mark.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import { PKG } from './helpers.mjs';
import { shakaGlobals } from './players-in-node.mjs';

shakaGlobals();
const shaka = createRequire(import.meta.url)('shaka-player/dist/shaka-player.compiled.debug.js');
const { PermissionScope } = await import(path.join(PKG, 'node/index.mjs'));
const { guardShaka } = await import(path.join(PKG, 'players/shaka.js'));
const { NetworkingEngine } = shaka.net;

const scope = PermissionScope.fromJson({ permissions: [{ role: 'readonly', cache: 'media', item: { keyPrefix: '/Movie1/' } }] });
const HD = { allowed: true, code: null, maxQuality: 'HD', validUntil: null };

/** An engine whose `https` answers come from `answer(uri, n)` ({ status, data }), every request recorded. */
function engineAnswering(answer) {
  const sent = [];
  NetworkingEngine.registerScheme('https', (uri, request) => {
    sent.push({ uri, authorization: request.headers.Authorization ?? null });
    const { status, data } = answer(uri, sent.length);
    return shaka.util.AbortableOperation.completed({ uri, originalUri: uri, data, status, headers: {}, originalRequest: request }).chain((response) => {
      if (status !== 200) throw new shaka.util.Error(1, 1, 1001, uri, status, '', {}, 1); // RECOVERABLE: Shaka retries
      return response;
    });
  }, NetworkingEngine.PluginPriority.APPLICATION);
  const engine = new NetworkingEngine();
  engine.configure({ forceHTTP: false, forceHTTPS: false, minBytesForProgressEvents: 16e3 });
  const player = { getNetworkingEngine: () => engine, configure() {}, addEventListener() {} };
  return { engine, player, sent };
}
const RETRY = { maxAttempts: 3, baseDelay: 1, backoffFactor: 1, fuzzFactor: 0, timeout: 0, stallTimeout: 0, connectionTimeout: 0 };

test('Shaka\'s retry sends the next URI: every URI of a request is checked, and none outside the scope gets the token', async () => {
  const { engine, player, sent } = engineAnswering((uri, n) => ({ status: n === 1 ? 503 : 200, data: new ArrayBuffer(4) }));
  const guard = guardShaka(player, { decision: HD, token: 'TOKEN', scope });
  const request = NetworkingEngine.makeRequest(['https://edge.example/Movie1/1080p/seg-1.m4s', 'https://cdn2.example/Movie2/1080p/seg-1.m4s'], RETRY);
  await assert.rejects(engine.request(NetworkingEngine.RequestType.SEGMENT, request, { stream: { type: 'video', height: 1080 } }).promise);
  assert.deepEqual(sent.filter((s) => !s.uri.includes('/Movie1/')), [], `sent: ${JSON.stringify(sent)}`);
  assert.equal(guard.requests.at(-1).reason, 'SCOPE_DENIED');
  guard.detach();
  // Both URIs in the scope: the retry goes out. The token goes with the request only where every
  // URI is on an origin it goes to: the first request's (here the guard's first check) and `origins`.
  const uris = ['https://edge.example/Movie1/1080p/seg-1.m4s', 'https://cdn2.example/Movie1/1080p/seg-1.m4s'];
  for (const [origins, authorization] of [[[], null], [['https://cdn2.example'], 'Bearer TOKEN']]) {
    const ok = engineAnswering((uri) => ({ status: uri === uris[0] ? 503 : 200, data: new ArrayBuffer(4) }));
    const guarded = guardShaka(ok.player, { decision: HD, token: 'TOKEN', scope, origins });
    await ok.engine.request(NetworkingEngine.RequestType.MANIFEST, NetworkingEngine.makeRequest(['https://edge.example/Movie1/1080p/index.m3u8'], RETRY)).promise.catch(() => {}); // the first request: its origin gets the token
    await ok.engine.request(NetworkingEngine.RequestType.SEGMENT, NetworkingEngine.makeRequest(uris, RETRY), { stream: { type: 'video', height: 1080 } }).promise;
    assert.deepEqual(ok.sent.map((s) => [s.uri, s.authorization]), [
      ['https://edge.example/Movie1/1080p/index.m3u8', 'Bearer TOKEN'], [uris[0], authorization], [uris[1], authorization]], JSON.stringify(origins));
    guarded.detach();
  }
});

test('under a cap a manifest Shaka would read as UTF-16 is refused (INVALID_MANIFEST), not passed uncapped; a video stream of no height is refused', async () => {
  const mpd = '<?xml version="1.0"?><MPD xmlns="urn:mpeg:dash:schema:mpd:2011" type="static" mediaPresentationDuration="PT6S" profiles="urn:mpeg:dash:profile:isoff-on-demand:2011"><Period><AdaptationSet mimeType="video/mp4">'
    + '<Representation id="480p" bandwidth="1" width="854" height="480"><BaseURL>480p.mp4</BaseURL></Representation>'
    + '<Representation id="2160p" bandwidth="2" width="3840" height="2160"><BaseURL>2160p.mp4</BaseURL></Representation></AdaptationSet></Period></MPD>';
  const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(mpd, 'utf16le')]);
  // Shaka's own reader takes these bytes for the MPD (so a filter that passed them would pass 2160p).
  assert.equal(shaka.util.StringUtils.fromBytesAutoDetect(utf16), mpd);
  const { engine, player } = engineAnswering(() => ({ status: 200, data: utf16.buffer.slice(utf16.byteOffset, utf16.byteOffset + utf16.length) }));
  const guard = guardShaka(player, { decision: HD, token: 'TOKEN', scope });
  const request = NetworkingEngine.makeRequest(['https://edge.example/Movie1/manifest.mpd'], RETRY);
  await assert.rejects(engine.request(NetworkingEngine.RequestType.MANIFEST, request).promise,
    (error) => error.code === shaka.util.Error.Code.RESPONSE_FILTER_ERROR && error.data[0]?.code === 'INVALID_MANIFEST');
  // The same MPD in UTF-8 comes back capped.
  const plain = engineAnswering(() => ({ status: 200, data: new TextEncoder().encode(mpd).buffer }));
  const capped = guardShaka(plain.player, { decision: HD, token: 'TOKEN', scope });
  const response = await plain.engine.request(NetworkingEngine.RequestType.MANIFEST, NetworkingEngine.makeRequest(['https://edge.example/Movie1/manifest.mpd'], RETRY)).promise;
  const text = new TextDecoder().decode(response.data);
  assert.match(text, /id="480p"/);
  assert.doesNotMatch(text, /2160p/);
  // A video stream Shaka knows no height of, under the cap.
  await assert.rejects(plain.engine.request(NetworkingEngine.RequestType.SEGMENT, NetworkingEngine.makeRequest(['https://edge.example/Movie1/v/seg-1.m4s'], RETRY), { stream: { type: 'video' } }).promise,
    (error) => error.code === shaka.util.Error.Code.REQUEST_FILTER_ERROR && error.data[0]?.code === 'RENDITION_UNKNOWN');
  guard.detach();
  capped.detach();
});

/** Shaka's own HLS parser over `engine`, started on `uri`: what it made, or the error it threw. */
async function parseHls(engine, uri) {
  const config = shaka.util.PlayerConfiguration.createDefault();
  const parser = new shaka.hls.HlsParser();
  parser.configure(config.manifest);
  const playerInterface = {
    networkingEngine: engine, filter: async () => {}, makeTextStreamsForClosedCaptions() {}, onTimelineRegionAdded() {},
    onEvent() {}, onError() {}, isLowLatencyMode: () => false, isAutoLowLatencyMode: () => false, enableLowLatencyMode() {},
    updateDuration() {}, newDrmInfo() {}, onManifestUpdated() {}, getBandwidthEstimate: () => 1e6, onMetadata() {},
    disableStream() {}, addFont() {}, getStreamingRetryParameters: () => config.streaming.retryParameters,
  };
  try {
    return { manifest: await parser.start(uri, playerInterface) };
  } catch (error) {
    return { error };
  } finally {
    await parser.stop();
  }
}

test('under a cap a media playlist loaded as the title\'s manifest is refused (RENDITION_UNKNOWN) before Shaka fetches its segments to learn what they are; one a master lists plays', async () => {
  const MEDIA = '#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:4\n#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-MAP:URI="init.mp4"\n#EXTINF:4,\nseg-1.m4s\n#EXT-X-ENDLIST\n';
  const MASTER = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=3000000,RESOLUTION=1280x720,CODECS="avc1.64001f"\n720p/index.m3u8\n'
    + '#EXT-X-STREAM-INF:BANDWIDTH=15000000,RESOLUTION=3840x2160,CODECS="avc1.640033"\n2160p/index.m3u8\n';
  const answer = (uri) => ({ status: 200, data: new TextEncoder().encode(uri.endsWith('master.m3u8') ? MASTER : uri.endsWith('.m3u8') ? MEDIA : 'x').buffer });
  // Without the guard, Shaka's parser asks for the 2160p rendition's own files (its probe).
  const bare = engineAnswering(answer);
  const unguarded = await parseHls(bare.engine, 'https://edge.example/Movie1/2160p/index.m3u8');
  assert.ok(unguarded.manifest, String(unguarded.error));
  assert.ok(bare.sent.some((s) => /\/2160p\/(init\.mp4|seg-1\.m4s)$/.test(s.uri)), JSON.stringify(bare.sent));
  // Guarded under HD: the playlist is refused, and nothing of 2160p is fetched.
  const guarded = engineAnswering(answer);
  const guard = guardShaka(guarded.player, { decision: HD, token: 'TOKEN', scope });
  const refused = await parseHls(guarded.engine, 'https://edge.example/Movie1/2160p/index.m3u8');
  assert.equal(refused.error?.data?.[0]?.code, 'RENDITION_UNKNOWN', String(refused.error));
  assert.deepEqual(guarded.sent.map((s) => s.uri), ['https://edge.example/Movie1/2160p/index.m3u8']);
  guard.detach();
  // The master: capped to 720p, whose media playlist Shaka then reads.
  const ladder = engineAnswering(answer);
  const guard2 = guardShaka(ladder.player, { decision: HD, token: 'TOKEN', scope });
  const parsed = await parseHls(ladder.engine, 'https://edge.example/Movie1/master.m3u8');
  assert.ok(parsed.manifest, String(parsed.error));
  assert.deepEqual(parsed.manifest.variants.map((v) => v.video?.height), [720]);
  assert.deepEqual(ladder.sent.filter((s) => s.uri.includes('2160p')), []);
  // A variant's media playlist, asked for as Shaka asks for one (its playlists load when chosen).
  const variant = await ladder.engine.request(NetworkingEngine.RequestType.MANIFEST, NetworkingEngine.makeRequest(['https://edge.example/Movie1/720p/index.m3u8'], RETRY),
    { type: NetworkingEngine.AdvancedRequestType.MEDIA_PLAYLIST }).promise;
  assert.equal(new TextDecoder().decode(variant.data), MEDIA);
  guard2.detach();
  // A HEAD (Shaka's guess of an extensionless manifest's type) has no body to cap: it passes.
  const head = engineAnswering(() => ({ status: 200, data: new ArrayBuffer(0) }));
  const guard3 = guardShaka(head.player, { decision: HD, token: 'TOKEN', scope });
  const headRequest = NetworkingEngine.makeRequest(['https://edge.example/Movie1/manifest'], RETRY);
  headRequest.method = 'HEAD';
  await head.engine.request(NetworkingEngine.RequestType.MANIFEST, headRequest).promise;
  // A GET answered with no body (Shaka's offline scheme answers so) is no HEAD: refused under a cap.
  await assert.rejects(head.engine.request(NetworkingEngine.RequestType.MANIFEST, NetworkingEngine.makeRequest(['https://edge.example/Movie1/manifest'], RETRY)).promise,
    (error) => error.data?.[0]?.code === 'INVALID_MANIFEST');
  guard3.detach();
});

test('what is not the title\'s media (a DRM license, a key server, a time server, an ad) is held to the decision, not to the scope or the media paths', async () => {
  const { engine, player, sent } = engineAnswering(() => ({ status: 200, data: new ArrayBuffer(4) }));
  let now = Date.now();
  const guard = guardShaka(player, { decision: { ...HD, validUntil: now + 60_000 }, token: 'TOKEN', scope, clock: () => now });
  const { RequestType } = NetworkingEngine;
  await engine.request(RequestType.MANIFEST, NetworkingEngine.makeRequest(['https://edge.example/Movie1/master.m3u8'], RETRY)).promise.catch(() => {});
  const aside = [[RequestType.LICENSE, 'https://license.example/widevine'], [RequestType.KEY, 'https://keys.example/k/1'],
    [RequestType.TIMING, 'https://time.example/?iso'], [RequestType.ADS, 'https://ads.example/vast.xml']];
  for (const [type, uri] of aside) await engine.request(type, NetworkingEngine.makeRequest([uri], RETRY)).promise;
  assert.deepEqual(sent.slice(1).map((s) => [s.uri, s.authorization]), aside.map(([, uri]) => [uri, null]), 'sent, without the token (other hosts)');
  // A segment outside the scope is still refused.
  await assert.rejects(engine.request(RequestType.SEGMENT, NetworkingEngine.makeRequest(['https://edge.example/Movie2/720p/seg-1.m4s'], RETRY), { stream: { type: 'video', height: 720 } }).promise,
    (error) => error.data?.[0]?.code === 'SCOPE_DENIED');
  // Once the decision's validUntil passes, a license is refused too.
  now += 61_000;
  await assert.rejects(engine.request(RequestType.LICENSE, NetworkingEngine.makeRequest(['https://license.example/widevine'], RETRY)).promise,
    (error) => error.data?.[0]?.code === 'ENTITLEMENT_EXPIRED');
  guard.detach();
});

test('a retry Shaka sends after its back-off is refused when the decision would end before it leaves (the filters run before the wait)', async () => {
  const now = Date.now();
  const decision = { ...HD, validUntil: now + 150 };
  const retry = { ...RETRY, maxAttempts: 2, baseDelay: 300 }; // Shaka waits 300 ms before its second attempt
  const failing = engineAnswering((uri, n) => ({ status: n === 1 ? 503 : 200, data: new ArrayBuffer(4) }));
  const guard = guardShaka(failing.player, { decision, token: 'TOKEN', scope, clock: () => now });
  const segment = () => NetworkingEngine.makeRequest(['https://edge.example/Movie1/720p/seg-1.m4s'], retry);
  await assert.rejects(failing.engine.request(NetworkingEngine.RequestType.SEGMENT, segment(), { stream: { type: 'video', height: 720 } }).promise,
    (error) => error.code === shaka.util.Error.Code.REQUEST_FILTER_ERROR && error.data[0]?.code === 'ENTITLEMENT_EXPIRED');
  assert.equal(failing.sent.length, 1, 'the first attempt only');
  assert.deepEqual(guard.requests.map((r) => r.reason), [null, 'ENTITLEMENT_EXPIRED']);
  guard.detach();
  // A decision that holds past the back-off: the retry goes out.
  const ok = engineAnswering((uri, n) => ({ status: n === 1 ? 503 : 200, data: new ArrayBuffer(4) }));
  const guard2 = guardShaka(ok.player, { decision: { ...HD, validUntil: now + 60_000 }, token: 'TOKEN', scope, clock: () => now });
  await ok.engine.request(NetworkingEngine.RequestType.SEGMENT, segment(), { stream: { type: 'video', height: 720 } }).promise;
  assert.equal(ok.sent.length, 2);
  guard2.detach();
});
