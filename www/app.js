// playgate demo page: the web build, a seed entitlement document, a Mosaic-style policy, one
// decision and a catalog page, all updated live. No framework, no external resources.
import init, { Policy, Entitlement, CacheClient, EntitlementStore } from '/pkg/web/index.js';

// The seed's MediaStore entitlement document (Momento "Example entitlement object").
const DEFAULT_ENTITLEMENT = {
  subscription_level: 'premium',
  region: 'US',
  device_restriction: 'none',
  valid_from: '2024-10-01T00:00:00Z',
  valid_until: '2024-12-31T23:59:59Z',
  allowed_content: ['movie_id_123', 'series_id_456'],
};

// A small Mosaic-style policy: claim sets -> plans -> tiers (named by subscription_level).
const DEFAULT_POLICY = {
  claimSets: [
    { key: 'movies-series', claims: ['ENTITY_TYPE_MOVIES', 'ENTITY_TYPE_EPISODES'] },
    { key: 'live', claims: ['ENTITY_TYPE_CHANNELS'] },
    { key: 'hd', claims: ['QUALITY_SD', 'QUALITY_HD'] },
    { key: 'uhd', claims: ['QUALITY_UHD1', 'QUALITY_UHD2'] },
    { key: 'download', claims: ['ENABLE_VIDEOS_DOWNLOAD'] },
    { key: 'north-america', claims: ['COUNTRY_US', 'COUNTRY_CA'] },
  ],
  plans: [
    { id: 'basic', claimSetKeys: ['movies-series', 'hd', 'north-america'] },
    { id: 'premium', claimSetKeys: ['movies-series', 'live', 'hd', 'uhd', 'download', 'north-america'] },
  ],
  tiers: {
    free: { claims: ['ENTITY_TYPE_MOVIES', 'QUALITY_SD'] },
    basic: { plan: 'basic', maxQuality: 'HD' },
    premium: { plan: 'premium', maxQuality: 'UHD1' },
  },
};

const DEFAULT_REQUEST = { entityId: 'movie_id_123', country: 'US', device: 'web', now: '2024-11-15T12:00:00', allowPersistence: false };

const CATALOG = [
  'movie_id_123', 'movie_id_124', 'movie-dune', 'movie-heat',
  'episode_456_s1e1', 'episode_456_s1e2', 'episode-777-s2e3', 'movie-alien',
  'channel-news', 'channel-sports', 'channel-kids', 'movie-arrival',
];

const $ = (id) => document.getElementById(id);
const inputs = {
  entityId: $('entityId'), country: $('country'), device: $('device'), now: $('now'),
  allowPersistence: $('allowPersistence'), entitlement: $('entitlement'), policy: $('policy'),
};

/** Indented JSON; arrays and objects that fit on one line are kept on one line. */
function pretty(value, indent = '', prefix = 0) {
  const oneLine = (v) => {
    if (v === null || typeof v !== 'object') return JSON.stringify(v);
    if (Array.isArray(v)) return `[${v.map(oneLine).join(', ')}]`;
    const entries = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${oneLine(x)}`);
    return entries.length ? `{ ${entries.join(', ')} }` : '{}';
  };
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  const flat = oneLine(value);
  if (indent !== '' && indent.length + prefix + flat.length <= 70) return flat;
  const inner = `${indent}  `;
  const items = Array.isArray(value)
    ? value.map((v) => inner + pretty(v, inner))
    : Object.entries(value).map(([k, v]) => `${inner}${JSON.stringify(k)}: ${pretty(v, inner, JSON.stringify(k).length + 2)}`);
  if (items.length === 0) return flat;
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  return `${open}\n${items.join(',\n')}\n${indent}${close}`;
}

function codedError(code, message) {
  const error = new Error(message);
  error.code = code;
  return error;
}

// Parsed inputs are cached by their text and freed when replaced.
const parsed = { policyText: null, policy: null, entText: null, ent: null };

function currentPolicy() {
  const text = inputs.policy.value;
  if (text !== parsed.policyText || !parsed.policy) {
    if (parsed.policy) parsed.policy.free();
    parsed.policy = null;
    parsed.policyText = text;
    parsed.policy = text.trim() === '' ? new Policy() : Policy.fromJson(text);
  }
  return parsed.policy;
}

function currentEntitlement() {
  const text = inputs.entitlement.value;
  if (text !== parsed.entText || !parsed.ent) {
    if (parsed.ent) parsed.ent.free();
    parsed.ent = null;
    parsed.entText = text;
    parsed.ent = Entitlement.fromBlob(text);
  }
  return parsed.ent;
}

/** The `now` input (datetime-local) read as UTC epoch ms. */
function readNow() {
  const value = inputs.now.value;
  if (!value) return Date.now();
  const t = Date.parse(value.length === 16 ? `${value}:00Z` : `${value}Z`);
  if (Number.isNaN(t)) throw codedError('INVALID_REQUEST', `now: cannot read "${value}"`);
  return t;
}

function utcInputValue(ms) {
  return new Date(ms).toISOString().slice(0, 19);
}

function readRequest() {
  const text = (input) => (input.value.trim() === '' ? undefined : input.value.trim());
  return {
    entityId: inputs.entityId.value.trim(),
    country: text(inputs.country),
    device: text(inputs.device),
    now: readNow(),
    allowPersistence: inputs.allowPersistence.checked,
  };
}

function showDecision(decision) {
  const verdict = $('verdict');
  verdict.dataset.state = decision.allowed ? 'allowed' : 'denied';
  $('verdict-label').textContent = decision.allowed ? 'ALLOWED' : 'DENIED';
  $('decision-code').textContent = decision.code ?? '';
  $('decision-quality').textContent = decision.allowed
    ? `max quality ${decision.maxQuality ?? 'uncapped'}${decision.allowPersistence ? ' · download allowed' : ''}`
    : (decision.reasons.length > 1 ? `also: ${decision.reasons.slice(1).join(', ')}` : '');
  const shown = {
    ...decision,
    validUntil: decision.validUntil === null ? null : new Date(decision.validUntil).toISOString(),
  };
  $('decision-json').textContent = pretty(shown);
  $('decision-json').hidden = false;
  $('error').hidden = true;
}

function showError(error, source) {
  const verdict = $('verdict');
  verdict.dataset.state = 'error';
  $('verdict-label').textContent = 'ERROR';
  $('decision-code').textContent = error && error.code ? error.code : '';
  $('decision-quality').textContent = '';
  $('decision-json').textContent = '';
  $('decision-json').hidden = true;
  $('error').hidden = false;
  $('error-code').textContent = (error && error.code) || error?.name || 'Error';
  $('error-source').textContent = `(${source})`;
  $('error-message').textContent = String(error && error.message);
}

function showCatalog(catalog) {
  const tbody = document.querySelector('#catalog tbody');
  tbody.replaceChildren();
  if (!catalog) {
    const row = tbody.insertRow();
    const td = row.insertCell();
    td.colSpan = 4;
    td.className = 'muted';
    td.textContent = 'No catalog: fix the error above.';
    return;
  }
  for (let i = 0; i < catalog.length; i++) {
    const row = tbody.insertRow();
    const allowed = catalog.allowed(i);
    row.className = allowed ? 'allowed' : 'denied';
    const id = row.insertCell();
    id.innerHTML = '<code></code>';
    id.firstChild.textContent = catalog.entityIds[i];
    const verdict = row.insertCell();
    verdict.innerHTML = '<span class="pill"></span>';
    verdict.firstChild.textContent = allowed ? 'allowed' : 'denied';
    row.insertCell().textContent = catalog.code(i) ?? '—';
    row.insertCell().textContent = catalog.maxQuality(i) ?? (allowed ? 'uncapped' : '—');
  }
}

// ---- the cache card: only when the server runs a cache emulator (/demo-config.json) ----
const MEDIA_KEYS = ['/Movie1/playlist.m3u8', '/Movie1/1080p/segment1.ts', '/Movie2/1080p/segment1.ts'];
let cacheDemo = null; // { client, config, store, policy }

async function setupCache() {
  let config;
  try {
    const res = await fetch('/demo-config.json');
    if (!res.ok) return;
    config = await res.json();
  } catch {
    return;
  }
  if (!config.cacheUrl) return; // served without a cache emulator
  const client = new CacheClient({ token: config.token, baseUrl: config.cacheUrl, timeoutMs: 2000 });
  cacheDemo = { client, config, store: null, policy: null };
  const select = $('cache-user');
  for (const user of config.users) select.add(new Option(user, user));
  select.addEventListener('change', scheduleDecide);
  $('cache-card').hidden = false;
  const tbody = document.querySelector('#media tbody');
  const scope = client.tokenInfo.scope;
  for (const key of MEDIA_KEYS) {
    const row = tbody.insertRow();
    row.insertCell().innerHTML = '<code></code>';
    row.cells[0].firstChild.textContent = key;
    const allowed = scope.allows('get', 'media', key);
    row.className = allowed ? 'allowed' : 'denied';
    row.insertCell().innerHTML = `<span class="pill">${allowed ? 'get allowed' : 'refused'}</span>`;
    const status = row.insertCell();
    if (!allowed) {
      status.textContent = 'not requested';
      continue;
    }
    // Media keys are plain paths on the emulator, gated by the same token.
    const res = await fetch(config.cacheUrl + key, { headers: { authorization: config.token } });
    status.textContent = `${res.status} ${res.headers.get('content-type') ?? ''}`;
    row.dataset.status = String(res.status);
  }
}

async function decideFromCache(policy, request) {
  if (!cacheDemo) return;
  if (cacheDemo.policy !== policy) { // the old policy was freed when its text changed
    cacheDemo.store?.clear();
    cacheDemo.store = new EntitlementStore({ cache: cacheDemo.client, cacheName: 'entitlements', policy, clock: readNow });
    cacheDemo.policy = policy;
  }
  const verdict = $('store-verdict');
  try {
    const d = await cacheDemo.store.decide($('cache-user').value, request);
    verdict.dataset.state = d.allowed ? 'allowed' : 'denied';
    $('store-label').textContent = d.allowed ? 'ALLOWED' : 'DENIED';
    $('store-code').textContent = d.code ?? '';
    $('store-quality').textContent = d.allowed ? `max quality ${d.maxQuality ?? 'uncapped'}` : '';
  } catch (error) {
    verdict.dataset.state = 'error';
    $('store-label').textContent = 'ERROR';
    $('store-code').textContent = error.code ?? '';
    $('store-quality').textContent = error.message;
  }
}

let evaluations = 0;

function decide() {
  let stage = 'policy';
  try {
    const policy = currentPolicy();
    stage = 'entitlement';
    const ent = currentEntitlement();
    stage = 'request';
    const request = readRequest();
    showDecision(policy.evaluate(ent, request));
    decideFromCache(policy, request);
    stage = 'catalog';
    showCatalog(policy.evaluateCatalog(ent, CATALOG, {
      country: request.country, device: request.device, now: request.now, allowPersistence: request.allowPersistence,
    }));
  } catch (error) {
    showError(error, stage);
    if (stage !== 'catalog') showCatalog(null);
  }
  document.body.dataset.evaluations = String(++evaluations);
}

let timer = 0;
function scheduleDecide() {
  if (!$('live').checked) return;
  clearTimeout(timer);
  timer = setTimeout(decide, 120);
}

function resetDefaults() {
  inputs.entitlement.value = pretty(DEFAULT_ENTITLEMENT);
  inputs.policy.value = pretty(DEFAULT_POLICY);
  inputs.entityId.value = DEFAULT_REQUEST.entityId;
  inputs.country.value = DEFAULT_REQUEST.country;
  inputs.device.value = DEFAULT_REQUEST.device;
  inputs.now.value = DEFAULT_REQUEST.now;
  inputs.allowPersistence.checked = DEFAULT_REQUEST.allowPersistence;
}

async function main() {
  resetDefaults();
  const started = performance.now();
  try {
    await init();
  } catch (error) {
    showError(error, 'loading /pkg/web/playgate_bg.wasm');
    $('footer').textContent = 'The WebAssembly module failed to load.';
    document.body.dataset.ready = 'failed';
    return;
  }
  $('footer').textContent = `playgate web build loaded in ${Math.round(performance.now() - started)} ms · all decisions run locally in WebAssembly.`;

  $('request-form').addEventListener('submit', (event) => {
    event.preventDefault();
    decide();
  });
  for (const input of Object.values(inputs)) {
    input.addEventListener('input', scheduleDecide);
    input.addEventListener('change', scheduleDecide);
  }
  $('live').addEventListener('change', scheduleDecide);
  $('now-button').addEventListener('click', () => {
    inputs.now.value = utcInputValue(Date.now());
    decide();
  });
  $('reset').addEventListener('click', () => {
    resetDefaults();
    decide();
  });
  await setupCache();
  decide();
  document.body.dataset.ready = 'true';
}

main();
