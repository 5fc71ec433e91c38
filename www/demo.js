// The player demo (index.html, issue 17), bundled by esbuild at `./build.sh serve` as an app
// bundles playgate: a real player (hls.js for HLS, Shaka for DASH) guarded by playgate/hls or
// playgate/shaka, playing through the edge gate in workerd. The page decides itself, with the
// viewer's own document read from the cache (a token that reads that one key), and the edge
// enforces the playback token the back end minted (demo-stack.mjs).
//
// Deep links: ?viewer=<id>&title=<entity id>&player=hls|shaka&forge=1 (forge: run the forge
// control once playback has started or been refused). State for tests: window.playgateDemo.

import Hls from 'hls.js';
import shaka from 'shaka-player/dist/shaka-player.compiled.js';
import { guardHls, tokenExpiry } from 'playgate/hls';
import { guardShaka } from 'playgate/shaka';
import { CacheClient, EntitlementStore, PermissionScope, Policy } from 'playgate';

const RANK = { SD: 1, HD: 2, UHD1: 3, UHD2: 4 };
// Renew the playback token this long before it expires (the back end mints 30-second tokens).
const REFRESH_BEFORE_SECONDS = 15;
// The demo runs on loopback: the players start at the top rung they may have (the cap shows at once).
const LOOPBACK_BITS_PER_SECOND = 50_000_000;
const LOG_ROWS = 200;
// What each decision code means to a viewer (docs/decision-rules.md, the checks in order).
const EXPLAINED = {
  ENTITLEMENT_NOT_YET_VALID: 'The entitlement has not started yet.',
  ENTITLEMENT_EXPIRED: 'The entitlement has ended.',
  COUNTRY_UNKNOWN: 'The viewer\'s country is unknown, and the title is limited by country.',
  LICENSE_NOT_FOUND: 'The title has no license here.',
  LICENSE_IS_NOT_VALID: 'The title\'s license is not valid now, here.',
  CONTENT_NOT_ALLOWED: 'This title is not in the viewer\'s allowed content.',
  SUBSCRIPTION_NOT_ACTIVE: 'No subscription is active.',
  NO_CLAIMS: 'The plan grants nothing.',
  ENTITY_TYPE_NOT_ALLOWED: 'The plan does not include this kind of title.',
  PERSISTENCE_NOT_ALLOWED: 'Downloads are not included.',
  COUNTRY_NOT_ALLOWED: 'The viewer is outside the entitlement\'s region.',
  DEVICE_NOT_ALLOWED: 'This device is not allowed.',
};
// A short buffer, ahead and behind: the 20-second clip streams (and streams again when it loops)
// as a long film would, so requests keep going out and a renewed token shows on them.
const SHORT_BUFFER = { maxBufferLength: 8, maxMaxBufferLength: 8, backBufferLength: 4 };

const $ = (id) => document.getElementById(id);
const video = $('video');
video.muted = true;

/** What tests read: the decision, every request with playgate's verdict and the edge's status. */
const state = {
  ready: false, viewer: null, title: null, player: null, decision: null, forge: null,
  refreshes: 0, error: null, playing: false, height: 0, consoleErrors: [],
  get requests() {
    const guarded = (guard?.requests ?? []).map(({ url, allowed, reason, status }) => ({ url, allowed, reason, status }));
    return state.forge ? [...guarded, { url: state.forge.url, allowed: null, reason: 'forged: sent without playgate', status: state.forge.status }] : guarded;
  },
};
window.playgateDemo = state;

let config;
let policy;
let guard = null;
let teardown = async () => {};
let token = null;
let tokenStartedAt = 0;
let session = null;

const element = (tag, props = {}, ...children) => {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children.filter((c) => c !== null && c !== undefined));
  return el;
};

async function getJson(url, init) {
  const res = await fetch(url, { cache: 'no-store', ...init });
  const body = await res.json().catch(() => null);
  if (!res.ok) throw Object.assign(new Error(body?.message ?? `${url}: HTTP ${res.status}`), { code: body?.code ?? `HTTP_${res.status}` });
  return body;
}

// ---- URL state --------------------------------------------------------------------------------

function readLink() {
  const p = new URLSearchParams(location.search);
  const pick = (value, allowed, fallback) => (allowed.includes(value) ? value : fallback);
  return {
    viewer: pick(p.get('viewer'), config.viewers.map((v) => v.id), 'premium'),
    title: pick(p.get('title'), config.titles.map((t) => t.id), config.titles[0].id),
    player: pick(p.get('player'), ['hls', 'shaka'], 'hls'),
    forge: p.get('forge') === '1',
  };
}

function writeLink() {
  const p = new URLSearchParams({ viewer: state.viewer, title: state.title, player: state.player });
  history.replaceState(null, '', `?${p}`);
}

// ---- rendering --------------------------------------------------------------------------------

function renderPersona() {
  const doc = session.document;
  const list = (v) => (Array.isArray(v) ? v.join(', ') : String(v ?? '—'));
  const day = (t) => (t ? new Date(t).toISOString().slice(0, 10) : '—');
  const rows = [
    ['tier', doc.subscription_level ?? '—'],
    ['watching from', `${session.request.country} on ${session.request.device}`],
    ['region', list(doc.region)],
    ['devices', list(doc.device_restriction)],
    ['window', `${day(doc.valid_from)} → ${day(doc.valid_until)}`],
    ['allowed content', list(doc.allowed_content)],
  ];
  $('persona').replaceChildren(...rows.flatMap(([k, v]) => [element('dt', { textContent: k }), element('dd', { textContent: v })]));
  $('document').value = JSON.stringify(doc, null, 2);
}

function renderDecision(d) {
  const verdict = element('div', { className: 'verdict' },
    element('span', { className: `badge ${d.allowed ? 'ok' : 'bad'}`, textContent: d.allowed ? 'ALLOWED' : 'DENIED' }),
    d.allowed ? element('span', { textContent: `up to ${d.maxQuality ?? 'any quality'}` }) : element('code', { textContent: d.code }));
  const facts = [
    ['code', d.code ?? 'null'],
    ['reasons', d.reasons.length ? d.reasons.join(', ') : '[]'],
    ['claims', d.claims.length ? d.claims.join(', ') : '[]'],
    ['maxQuality', d.maxQuality ?? 'null'],
    ['allowPersistence', String(d.allowPersistence)],
    ['validUntil', d.validUntil === null ? 'null' : new Date(d.validUntil).toISOString()],
  ];
  $('decision').replaceChildren(verdict, element('dl', { className: 'facts' },
    ...facts.flatMap(([k, v]) => [element('dt', { textContent: k }), element('dd', { textContent: v })])));
}

const capOf = () => (state.decision?.allowed ? state.decision.maxQuality : null);
const allowedRung = (rung) => state.decision?.allowed === true && (capOf() === null || RANK[rung.quality] <= RANK[capOf()]);

function renderLadder() {
  const cap = capOf();
  $('cap-label').textContent = !state.decision ? '' : !state.decision.allowed ? '· nothing may play' : cap ? `· cap ${cap}` : '· no cap';
  const top = Math.max(...config.ladder.map((r) => r.kbps));
  const items = [];
  config.ladder.forEach((rung, i) => {
    const next = config.ladder[i + 1];
    const playing = state.height === rung.height;
    const ok = allowedRung(rung);
    items.push(element('li', { className: `${ok ? '' : 'blocked'} ${playing ? 'playing' : ''}`.trim(), title: `${rung.width}x${rung.height}, ${rung.kbps} kbit/s` },
      element('span', { className: 'name', textContent: rung.name }),
      element('span', { className: 'quality', textContent: rung.quality }),
      element('span', { className: 'bar', style: `width: ${Math.round((rung.kbps / top) * 100)}%` }),
      element('span', { className: 'state', textContent: playing ? '▶ playing' : ok ? 'allowed' : 'blocked' })));
    if (!ok && next && allowedRung(next)) items.push(element('li', { className: 'cap-line', ariaHidden: 'true' }, element('span', { textContent: `cap: ${cap}` })));
  });
  $('ladder').replaceChildren(...items);
}

function renderToken() {
  const exp = token ? tokenExpiry(token) : null;
  if (exp === null) {
    $('token').textContent = session?.playbackToken === null ? 'none: the back end mints none for a denied viewer' : '—';
    $('token-meter').style.width = '0';
    return;
  }
  const left = Math.max(0, exp - Date.now() / 1000);
  $('token').textContent = `ES256 JWT #${state.refreshes + 1} · expires in ${Math.ceil(left)} s · renewed ${state.refreshes}×`;
  $('token-meter').style.width = `${Math.min(100, (left / config.tokenSeconds) * 100)}%`;
}

/** A request's place in the MediaStore layout: `{ kind, rendition, file }`. */
function describe(url) {
  const u = new URL(url);
  const parts = u.pathname.split('/').filter(Boolean);
  const file = parts.at(-1) ?? '';
  const rendition = parts.length >= 3 ? parts[parts.length - 2] : '—';
  const kind = /\.(m3u8|mpd)$/.test(file) ? (parts.length === 2 ? 'master' : 'playlist') : file.startsWith('init') ? 'init' : 'segment';
  return { kind, rendition, file };
}

// When the page first saw each request (the guard's log entries, and the forge's).
const seenAt = new WeakMap();
const seen = (entry) => {
  if (!seenAt.has(entry)) seenAt.set(entry, new Date().toLocaleTimeString());
  return seenAt.get(entry);
};

let logShown = '';
function renderLog() {
  const rows = [...(guard?.requests ?? []).slice(-LOG_ROWS)];
  if (state.forge) rows.push(state.forge);
  const key = `${state.error}:${rows.length}:${rows.at(0)?.url}:${rows.map((r) => r.status).join(',')}`;
  if (key === logShown) return;
  logShown = key;
  const body = $('log').tBodies[0];
  if (rows.length === 0) {
    const text = state.error !== null ? 'No request left the page: playgate refused playback before the first one.' : 'No request yet.';
    body.replaceChildren(element('tr', { className: 'empty' }, element('td', { colSpan: 6, textContent: text })));
    return;
  }
  body.replaceChildren(...rows.reverse().map((r) => {
    const { kind, rendition, file } = describe(r.url);
    const forged = r.allowed === null;
    const verdict = forged ? element('td', { textContent: 'not asked' }) : element('td', { className: r.allowed ? 'yes' : 'no', textContent: r.allowed ? '✓ allowed' : `✗ ${r.reason}` });
    const edge = r.status === null ? (r.allowed ? '…' : 'never sent') : r.status === 0 ? 'failed' : String(r.status);
    return element('tr', { className: forged ? 'forge' : '' },
      element('td', { className: 'when', textContent: seen(r) }),
      element('td', { textContent: forged ? 'forged' : kind }),
      element('td', { textContent: rendition }),
      element('td', { className: 'file', textContent: file, title: r.url.replace(/([?&](segment_)?token=)[^&]+/g, '$1…') }),
      verdict,
      element('td', { className: r.status >= 400 || r.status === 0 ? 'no' : r.status ? 'yes' : '', textContent: edge }));
  }));
}

/** The player stopped: the first reason shows (a guard's refusal comes before the errors it causes). */
function showRefusal(code, text) {
  if (state.error !== null) return;
  state.error = code;
  const overlay = $('overlay');
  overlay.replaceChildren(element('div', { textContent: text }), element('div', { className: 'code', textContent: code }),
    EXPLAINED[code] ? element('div', { className: 'why', textContent: EXPLAINED[code] }) : null);
  overlay.hidden = false;
}

// ---- playback ---------------------------------------------------------------------------------

/** The playback token renewed by the back end (the guard calls this before it expires). */
async function refresh() {
  const res = await fetch(`/api/token?viewer=${encodeURIComponent(state.viewer)}&title=${encodeURIComponent(state.title)}`, { cache: 'no-store' });
  if (!res.ok) throw new Error(`token refresh: HTTP ${res.status}`);
  token = await res.text();
  state.refreshes++;
  const card = document.querySelector('.token-card');
  card.classList.add('renewed');
  setTimeout(() => card.classList.remove('renewed'), 1200);
  return token;
}

async function startHls(options) {
  const src = `${config.gateUrl}/${state.title}/playlist.m3u8`;
  const hls = new Hls({
    capLevelToPlayerSize: false, abrEwmaDefaultEstimate: LOOPBACK_BITS_PER_SECOND, ...SHORT_BUFFER,
  });
  guard = guardHls(hls, options);
  hls.on(Hls.Events.ERROR, (_, data) => {
    if (!data.fatal) return;
    const code = data.error?.code ?? (data.response?.code ? `HTTP ${data.response.code}` : data.details);
    showRefusal(code, data.error?.code ? 'Playback refused by playgate' : 'The player stopped');
  });
  hls.on(Hls.Events.MANIFEST_PARSED, () => video.play().catch(() => {}));
  hls.attachMedia(video);
  hls.loadSource(src);
  return async () => hls.destroy();
}

async function startShaka(options, stale) {
  const src = `${config.gateUrl}/${state.title}/manifest.mpd`;
  const player = new shaka.Player();
  await player.attach(video);
  if (stale()) return async () => player.destroy();
  player.configure({
    abr: { defaultBandwidthEstimate: LOOPBACK_BITS_PER_SECOND },
    streaming: { bufferingGoal: SHORT_BUFFER.maxBufferLength, bufferBehind: SHORT_BUFFER.backBufferLength },
  });
  guard = guardShaka(player, options);
  const onError = (error) => {
    if (error?.severity !== shaka.util.Error.Severity.CRITICAL) return;
    const code = error.data?.[0]?.code ?? `shaka ${error.code}`;
    showRefusal(code, error.data?.[0]?.code ? 'Playback refused by playgate' : 'The player stopped');
  };
  player.addEventListener('error', (event) => onError(event.detail));
  try {
    await player.load(src);
    video.play().catch(() => {});
  } catch (error) {
    onError(error);
  }
  return async () => player.destroy();
}

// Each load() is one generation: a newer one (another viewer picked while this one was still
// deciding) makes it stop at its next step, so two players never play at once.
let generation = 0;
// The load before this one, until it has returned: a stale load stops its own player at its next
// step, and the next one waits for that, so two players never hold the one <video> at once
// (Shaka attaching while hls.js let go of the MediaSource logged an error).
let loading = Promise.resolve();

function load() {
  const mine = ++generation;
  const run = loading.then(() => loadAfter(mine));
  loading = run.catch(() => {}); // its error is the caller's (load().catch(fatal))
  return run;
}

async function loadAfter(mine) {
  const stale = () => mine !== generation;
  if (stale()) return;
  await teardown();
  teardown = async () => {};
  guard?.detach();
  guard = null;
  Object.assign(state, { decision: null, forge: null, refreshes: 0, error: null, playing: false, height: 0 });
  $('overlay').hidden = true;
  $('forge-result').textContent = 'Forge: not run';
  $('forge-result').className = 'forge-result muted';
  writeLink();

  const next = await getJson(`/api/session?viewer=${encodeURIComponent(state.viewer)}&title=${encodeURIComponent(state.title)}`);
  if (stale()) return;
  session = next;
  renderPersona();
  // The page's own decision: the viewer's document read from the cache with a token that may
  // read that one key (the cache answers 403 for any other).
  const store = new EntitlementStore({ policy, cache: new CacheClient({ token: session.cacheToken, baseUrl: config.cacheUrl }), cacheName: 'entitlements' });
  const decision = await store.decide(session.entitlementKey, { ...session.request, now: Date.now() });
  if (stale()) return;
  state.decision = decision;
  renderDecision(state.decision);
  renderLadder();
  token = session.playbackToken;
  renderToken();

  const options = {
    decision: state.decision,
    token,
    scope: PermissionScope.fromJson(session.scope),
    refresh: token ? refresh : null,
    refreshBeforeSeconds: REFRESH_BEFORE_SECONDS,
    tokenIn: 'query', // another origin than the gate's: a header would cost a CORS preflight per URL
  };
  const stop = state.player === 'shaka' ? await startShaka(options, stale) : await startHls(options);
  if (stale()) await stop(); // a newer load has begun: it tears down what it knows, this stops itself
  else teardown = stop;
}

/**
 * Asks the edge directly, as a hand-written request would, for what this viewer may not have:
 * the top rendition above the cap, or (no cap below the top) another title than the token's.
 */
async function forge() {
  const cap = capOf();
  const above = config.ladder.find((r) => !allowedRung(r));
  const other = config.titles.find((t) => t.id !== state.title).id;
  const path = above ? `/${state.title}/${above.name}/index.m3u8` : `/${other}/${config.ladder[0].name}/index.m3u8`;
  const why = !state.decision?.allowed ? 'a denied viewer has no playback token' : above ? `${above.name} is above the cap (${cap})` : `${other} is outside this token's scope`;
  const url = new URL(path, config.gateUrl);
  if (token) url.searchParams.set('token', token);
  const res = await fetch(url, { cache: 'no-store' });
  const body = await res.json().catch(() => null);
  state.forge = { url: url.href, allowed: null, status: res.status, code: body?.code ?? null, reason: body?.reason ?? null };
  const box = $('forge-result');
  box.className = `forge-result ${res.status >= 400 ? 'refused' : ''}`;
  box.replaceChildren(`Forge: GET ${path} (${why}) → edge answered ${res.status} `, element('code', { textContent: state.forge.code ?? '' }));
  renderLog();
  return state.forge;
}

// ---- wiring -----------------------------------------------------------------------------------

video.addEventListener('playing', () => { state.playing = true; });
video.addEventListener('resize', () => {
  state.height = video.videoHeight;
  renderLadder();
});
// The clip is 20 s: it plays again from the start, so that token renewals show while playing.
// Near its end, not at 'ended': the audio and video tracks end a few frames apart, and the
// picture can wait at the last frame without the element ever ending.
const loop = () => {
  if (Number.isFinite(video.duration) && video.duration > 1 && video.currentTime > video.duration - 0.5) {
    video.currentTime = 0;
    video.play().catch(() => {});
  }
};
video.addEventListener('timeupdate', loop);
video.addEventListener('waiting', loop);
video.addEventListener('ended', loop);

async function main() {
  config = await getJson('/api/config');
  policy = Policy.fromJson(config.policy);
  for (const v of config.viewers) $('viewer').append(element('option', { value: v.id, textContent: v.label }));
  for (const t of config.titles) $('title').append(element('option', { value: t.id, textContent: t.name }));
  const link = readLink();
  Object.assign(state, { viewer: link.viewer, title: link.title, player: link.player });
  $('viewer').value = state.viewer;
  $('title').value = state.title;
  $('player').value = state.player;
  for (const id of ['viewer', 'title', 'player']) {
    $(id).addEventListener('change', () => {
      state[id] = $(id).value;
      load().catch(fatal);
    });
  }
  $('forge').addEventListener('click', () => forge().catch(fatal));
  $('edit').addEventListener('click', () => {
    const editor = $('editor');
    editor.hidden = !editor.hidden;
    $('edit').setAttribute('aria-expanded', String(!editor.hidden));
  });
  const store = async (method, body) => {
    $('editor-error').textContent = '';
    try {
      await getJson(`/api/entitlement?viewer=${encodeURIComponent(state.viewer)}`, { method, body, headers: { 'content-type': 'application/json' } });
      await load();
    } catch (error) {
      $('editor-error').textContent = `${error.code}: ${error.message}`;
    }
  };
  $('apply').addEventListener('click', () => store('PUT', $('document').value));
  $('reset').addEventListener('click', () => store('DELETE'));
  setInterval(() => {
    renderToken();
    renderLog();
  }, 250);

  await load();
  if (link.forge) {
    // After the player has started (or been refused), so the log shows both.
    const until = Date.now() + 10_000;
    while (!state.playing && state.error === null && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
    await forge();
  }
  state.ready = true;
  document.body.dataset.ready = 'true';
}

function fatal(error) {
  console.error(error);
  showRefusal(error.code ?? 'ERROR', `The demo failed: ${error.message}`);
  state.ready = true;
  document.body.dataset.ready = 'true';
}

main().catch(fatal);
