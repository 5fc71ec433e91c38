// The rules of the scope, token, fuzz-regression and manifest vectors (tests/vectors/
// momento-scopes.json, momento-tokens.json, fuzz-regressions.json, manifests.json), as one
// plain ES module (its one import is its sibling www/vectors.js): the Node tests (tests/node/scopes.test.mjs,
// manifests.test.mjs) and the browser harness (www/harness.js) run the same rules, each with its
// own build of the player module (`lib`: PermissionScope, decodeMomentoToken, filterManifest).
// The decision vectors' rules are www/vectors.js.
//
// A rule applied to a case gives `{ rule, failures: [{ why, expected, actual }], note? }`; a rule
// that does not apply to the case gives undefined. `runVectorFile` runs every rule of one kind on
// every case of a file: a case passes when at least one rule applied and none failed; a case no
// rule applies to is "not run", with the reason. A rule that throws fails its case.

import { deepEqual } from './vectors.js';

/** The probes every scope is checked with (keys, caches, operations, topics). */
export const SCOPE_PROBES = Object.freeze({
  keys: ['/Movie1/playlist.m3u8', '/Movie1/1080p/segment1.ts', '/Movie2/1080p/segment1.ts', 'hits', 'mappings',
    'MYTENANTID-1', '/My Movie/1080p/segment 1.ts', '/映画/a', '/🎬/b', '', ' /Movie1/ x'],
  caches: ['media', 'demo', 'chat', 'oauth2', 'fastly-cache', 'uploads', '*', 'other'],
  ops: ['get', 'set', 'delete', 'setIfNotExists', 'dictionaryFetch', 'listPushBack', 'sortedSetIncrementScore', 'nope'],
  topicOps: ['publish', 'subscribe'],
  topics: ['room1', 'test', 'updates', '*', 'room-2'],
  // Strings JS holds but UTF-8 cannot: they reach wasm as U+FFFD.
  lone: ['\uD800', 'x\uDFFF', '\uFFFD'],
});

/** At most this many mismatches are listed per rule (the count says how many there were). */
const LISTED = 5;

function describeError(error) {
  return { threw: (error && error.code) || String(error && error.name), message: String(error && error.message) };
}

/**
 * A rule result (`extra`: `note`, what a reader is told; `tally`, what the file-level rules
 * count); failures beyond LISTED are summarised in one more failure.
 */
function ruleResult(rule, failures, extra = {}) {
  const listed = failures.slice(0, LISTED);
  if (failures.length > LISTED) listed.push({ why: `and ${failures.length - LISTED} more mismatches`, expected: null, actual: null });
  return { rule, failures: listed, ...extra };
}

/** Reads a scope with `read`; a refusal coded INVALID_SCOPE gives `{ refused }`, any other throw propagates. */
function readScope(read) {
  try {
    return { scope: read() };
  } catch (error) {
    if (error && error.code === 'INVALID_SCOPE') return { refused: String(error.message) };
    throw error;
  }
}

const jsonFormOf = (c) => c.scopeJson !== null && typeof c.scopeJson === 'object' && !c.scopeJson.$sdkClass;

// ---- momento-scopes.json ------------------------------------------------------------------

/**
 * Where the SDK kept every item selector: the scope's JSON form and the protobuf the SDK sent
 * answer alike for every probe. playgate may refuse the JSON form (INVALID_SCOPE: it is
 * stricter, see tests/momento.rs); `note` then says so.
 */
export function scopeJsonMatchesProtobuf(lib, c) {
  if (!c.protobufBase64 || !jsonFormOf(c) || c.itemSelectorsDropped) return undefined;
  const rule = 'JSON form answers as the SDK protobuf';
  const { scope: ours, refused } = readScope(() => lib.PermissionScope.fromJson(c.scopeJson));
  if (!ours) return { rule, failures: [], note: `playgate refuses the JSON form (INVALID_SCOPE, stricter than the SDK): ${refused}` };
  const sdk = lib.PermissionScope.fromProtobuf(c.protobufBase64);
  const failures = [];
  const { caches, keys, ops, topics, topicOps } = SCOPE_PROBES;
  for (const cache of caches) {
    for (const key of keys) {
      for (const op of ops) {
        const want = sdk.allows(op, cache, key);
        const got = ours.allows(op, cache, key);
        if (got !== want) failures.push({ why: `allows(${op}, ${cache}, ${JSON.stringify(key)})`, expected: { protobuf: want }, actual: { json: got } });
      }
    }
    for (const topic of topics) {
      for (const op of topicOps) {
        const want = sdk.allowsTopic(op, cache, topic);
        const got = ours.allowsTopic(op, cache, topic);
        if (got !== want) failures.push({ why: `allowsTopic(${op}, ${cache}, ${topic})`, expected: { protobuf: want }, actual: { json: got } });
      }
    }
  }
  return ruleResult(rule, failures, { note: 'every probe answered alike', tally: 'compared' });
}

/**
 * Where the SDK dropped item selectors: playgate's reading of the JSON form never grants what
 * the SDK's protobuf does not, and is narrower somewhere (it kept the restriction).
 */
export function scopeNeverWiderThanSdk(lib, c) {
  if (!(c.itemSelectorsDropped > 0) || !c.protobufBase64) return undefined;
  const rule = 'never wider than what the SDK sent (it dropped item selectors)';
  const ours = lib.PermissionScope.fromJson(c.scopeJson);
  const sdk = lib.PermissionScope.fromProtobuf(c.protobufBase64);
  const failures = [];
  let narrower = false;
  const { caches, keys, ops } = SCOPE_PROBES;
  for (const cache of caches) {
    for (const key of keys) {
      for (const op of ops) {
        const wider = ours.allows(op, cache, key);
        const sdkAllows = sdk.allows(op, cache, key);
        if (wider && !sdkAllows) failures.push({ why: `playgate grants allows(${op}, ${cache}, ${JSON.stringify(key)}), the SDK's scope does not`, expected: { json: false }, actual: { json: true } });
        else if (!wider && sdkAllows) narrower = true;
      }
    }
  }
  if (!narrower) failures.push({ why: 'the SDK\'s scope is nowhere wider (the dropped item selector should show)', expected: { sdkWiderSomewhere: true }, actual: { sdkWiderSomewhere: false } });
  return ruleResult(rule, failures, { note: 'never wider, narrower somewhere', tally: 'hazard' });
}

/**
 * `allows` / `allowsTopic` of one scope, run on its check plan in JS, against `explain` /
 * `explainTopic`, answered by the Rust core in wasm, for every probe (lone surrogates included).
 * Returns `{ checked, failures: [{ why, expected, actual }] }` (every mismatch; `label` names the scope).
 */
export function planMatchesExplain(scope, label) {
  const { caches, keys, ops, topicOps, topics, lone } = SCOPE_PROBES;
  const allCaches = [...caches, ...lone];
  const allOps = [...ops, ...topicOps];
  const allKeys = [...keys, ...lone, '/up/\uD800', '/Movie1/\uD83C'];
  const allTopics = [...topics, 'scores', 'sc', 'alerts', '', 'tést', ...lone];
  const failures = [];
  let checked = 0;
  for (const cache of allCaches) {
    for (const op of allOps) {
      for (const key of allKeys) {
        const got = scope.allows(op, cache, key);
        const want = scope.explain(op, cache, key).allowed;
        if (got !== want) failures.push({ why: `${label}: allows(${op}, ${JSON.stringify(cache)}, ${JSON.stringify(key)})`, expected: { explain: want }, actual: { allows: got } });
        checked++;
      }
      for (const topic of allTopics) {
        const got = scope.allowsTopic(op, cache, topic);
        const want = scope.explainTopic(op, cache, topic).allowed;
        if (got !== want) failures.push({ why: `${label}: allowsTopic(${op}, ${JSON.stringify(cache)}, ${JSON.stringify(topic)})`, expected: { explainTopic: want }, actual: { allowsTopic: got } });
        checked++;
      }
    }
  }
  return { checked, failures };
}

/**
 * Every form of a vector's scope (the SDK's protobuf; the JSON form unless playgate refuses it,
 * INVALID_SCOPE): its check plan answers as wasm does (planMatchesExplain).
 */
export function scopePlanMatchesExplain(lib, c) {
  const forms = [];
  if (c.protobufBase64) forms.push(['protobuf', () => lib.PermissionScope.fromProtobuf(c.protobufBase64)]);
  if (jsonFormOf(c)) forms.push(['json', () => lib.PermissionScope.fromJson(c.scopeJson)]);
  if (forms.length === 0) return undefined;
  const rule = 'allows (JS check plan) answers as explain (wasm)';
  const failures = [];
  const notes = [];
  let checked = 0;
  for (const [form, read] of forms) {
    const { scope, refused } = form === 'json' ? readScope(read) : { scope: read() };
    if (!scope) {
      notes.push(`JSON form refused (INVALID_SCOPE): ${refused}`);
      continue;
    }
    const run = planMatchesExplain(scope, form);
    checked += run.checked;
    failures.push(...run.failures);
  }
  return ruleResult(rule, failures, { note: [checked ? `${checked} checks` : 'no scope to check', ...notes].join('; '), checked });
}

/** The SDK's super-user class: the protobuf it sent reads as the super-user scope (as in tests/momento.rs). */
export function scopeSuperUser(lib, c) {
  if (!c.protobufBase64 || !c.scopeJson || c.scopeJson.$sdkClass !== 'InternalSuperUserPermissions') return undefined;
  const isSuperUser = lib.PermissionScope.fromProtobuf(c.protobufBase64).isSuperUser;
  return { rule: 'the SDK protobuf reads as the super user', failures: isSuperUser === true ? [] : [{ why: 'isSuperUser', expected: true, actual: isSuperUser }] };
}

export const SCOPE_RULES = [scopeJsonMatchesProtobuf, scopeNeverWiderThanSdk, scopeSuperUser, scopePlanMatchesExplain];

// ---- momento-tokens.json ------------------------------------------------------------------

/** A token decodes as the SDK decodes it (or is MALFORMED_TOKEN where the SDK refuses it). */
export function tokenDecodesAsSdk(lib, c) {
  if (typeof c.token !== 'string') return undefined;
  const rule = 'decodes as the SDK decodes it';
  const sdk = c.sdkDecoded ?? {};
  const sdkOk = Boolean(sdk.decodeAuthToken && sdk.decodeAuthToken.cacheEndpoint);
  const failures = [];
  const expect = (why, expected, actual) => {
    if (expected !== actual) failures.push({ why, expected, actual });
  };
  let t;
  try {
    t = lib.decodeMomentoToken(c.token);
  } catch (error) {
    expect('refused with code', 'MALFORMED_TOKEN', error && error.code);
    if (sdkOk || sdk.isV2ApiKey) failures.push({ why: 'the SDK decodes it, playgate refuses it', expected: { decoded: true }, actual: describeError(error) });
    return { rule, failures, note: 'refused, as the SDK refuses it' };
  }
  expect('verified', false, t.verified);
  if (sdk.isV2ApiKey) {
    expect('kind', 'v2', t.kind);
    expect('httpBaseUrl', null, t.httpBaseUrl);
    return { rule, failures, note: 'v2 key', tally: 'decoded' };
  }
  if (!sdkOk) {
    failures.push({ why: 'the SDK refuses it, playgate decodes it', expected: { refused: 'MALFORMED_TOKEN' }, actual: { kind: t.kind, endpoint: t.endpoint } });
    return { rule, failures };
  }
  expect('cache endpoint', sdk.decodeAuthToken.cacheEndpoint, `cache.${t.endpoint}`);
  expect('httpBaseUrl', `https://api.cache.${t.endpoint}`, t.httpBaseUrl);
  expect('kind', sdk.isBase64 ? 'disposable' : 'legacy', t.kind);
  if (c.sdkResponse && c.sdkResponse.expiresAtEpoch) expect('expiresAt', c.sdkResponse.expiresAtEpoch * 1000, t.expiresAt);
  return { rule, failures, note: `${t.kind} token`, tally: 'decoded' };
}

export const TOKEN_RULES = [tokenDecodesAsSdk];

// ---- fuzz-regressions.json ----------------------------------------------------------------

/**
 * What fuzzing and the property tests found (issue 11), replayed through the JS layer (the
 * native replay is tests/fuzz_regressions.rs): the scope reads (or fails with `error`); every
 * check answers as listed, by `allows` (the JS check plan) and by `explain` (wasm); `toJson`:
 * "ok" = toJSON reads back to the same JSON form, else toJSON fails with that code.
 */
export function fuzzRegressionHolds(lib, c) {
  const rule = 'reads, checks and writes as the rules give';
  const read = () => (c.protobufBase64 !== undefined ? lib.PermissionScope.fromProtobuf(c.protobufBase64) : lib.PermissionScope.fromJson(c.scopeJson));
  const failures = [];
  let scope;
  try {
    scope = read();
  } catch (error) {
    if (c.error && error && error.code === c.error) return { rule, failures, note: `refused: ${c.error}` };
    return { rule, failures: [{ why: 'reading the scope threw', expected: c.error ? { threw: c.error } : { read: true }, actual: describeError(error) }] };
  }
  if (c.error) return { rule, failures: [{ why: 'the scope was read', expected: { threw: c.error }, actual: { read: true } }] };
  let checks = 0;
  for (const [list, topic] of [['checks', false], ['topicChecks', true]]) {
    for (const [op, cache, key, allowed] of c[list] ?? []) {
      checks++;
      const label = `${topic ? 'allowsTopic' : 'allows'}(${op}, ${JSON.stringify(cache)}, ${JSON.stringify(key)})`;
      const got = topic ? scope.allowsTopic(op, cache, key) : scope.allows(op, cache, key);
      if (got !== allowed) failures.push({ why: label, expected: allowed, actual: got });
      const why = topic ? scope.explainTopic(op, cache, key) : scope.explain(op, cache, key);
      if (why.allowed !== allowed) failures.push({ why: `${topic ? 'explainTopic' : 'explain'}(${op}, ${JSON.stringify(cache)}, ${JSON.stringify(key)}).allowed`, expected: allowed, actual: why.allowed });
    }
  }
  let json;
  try {
    json = scope.toJSON();
  } catch (error) {
    if (c.toJson !== (error && error.code)) failures.push({ why: 'toJSON threw', expected: { toJson: c.toJson }, actual: describeError(error) });
    return { rule, failures, note: `${checks} checks; toJSON ${c.toJson}` };
  }
  if (c.toJson !== 'ok') {
    failures.push({ why: 'toJSON gave a JSON form', expected: { toJson: c.toJson }, actual: json });
  } else {
    const again = lib.PermissionScope.fromJson(json).toJSON();
    if (!deepEqual(again, json)) failures.push({ why: 'toJSON does not read back to itself', expected: json, actual: again });
  }
  return { rule, failures, note: `${checks} checks; toJSON reads back` };
}

export const FUZZ_REGRESSION_RULES = [fuzzRegressionHolds];

// ---- manifests.json -----------------------------------------------------------------------

function base64Bytes(text) {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}

/** The options a case passes: `{ maxQuality }` as given, or `{}` when the case has no such key. */
export function manifestOptions(c) {
  return Object.prototype.hasOwnProperty.call(c, 'maxQuality') ? { maxQuality: c.maxQuality } : {};
}

/**
 * The inputs a case is filtered from, `[[label, input]]`: a text case as the string and as its
 * UTF-8 bytes; a byte case (`inputBase64`) as a Uint8Array, as an ArrayBuffer, and as a string
 * when the bytes are UTF-8 that decodes and encodes back to the same bytes.
 */
export function manifestInputs(c) {
  if (c.inputBase64 === undefined) return [['text', c.input], ['UTF-8 bytes', new TextEncoder().encode(c.input)]];
  const bytes = base64Bytes(c.inputBase64);
  const inputs = [['bytes', bytes], ['ArrayBuffer', bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)]];
  const text = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true }).decode(bytes);
  const back = new TextEncoder().encode(text);
  if (back.length === bytes.length && back.every((b, i) => b === bytes[i])) inputs.push(['text of the bytes', text]);
  return inputs;
}

/**
 * One filtering of a case: null when it holds, else `{ why, expected, actual }`. Expected: the
 * case's `expect`, exactly (keys format, text, kept, removed in that order), or its
 * `expectError` (the code; `where` a line number the message starts with `line N:`, or
 * `{ line, element }`, the message also naming `<element>`).
 */
export function manifestFailure(c, run) {
  let got;
  try {
    got = run();
  } catch (error) {
    if (!c.expectError) return { why: 'threw', expected: c.expect, actual: describeError(error) };
    const actual = describeError(error);
    if (actual.threw !== c.expectError.code) return { why: 'error code', expected: c.expectError, actual };
    const where = c.expectError.where;
    const line = typeof where === 'number' ? where : where && where.line;
    if (line !== undefined && !actual.message.startsWith(`line ${line}:`)) return { why: `message does not start with "line ${line}:"`, expected: c.expectError, actual };
    if (where && typeof where === 'object' && !actual.message.includes(`<${where.element}>`)) return { why: `message does not name <${where.element}>`, expected: c.expectError, actual };
    return null;
  }
  if (c.expectError) return { why: 'returned a result', expected: c.expectError, actual: got };
  if (!deepEqual(got, c.expect)) return { why: 'result', expected: c.expect, actual: got };
  const keys = Object.keys(got).join(', ');
  if (keys !== 'format, text, kept, removed') return { why: 'result keys (and their order)', expected: 'format, text, kept, removed', actual: keys };
  return null;
}

/** Every input form of a case filters as expected, and the expected output filters to itself. */
export function manifestFilters(lib, c) {
  const rule = 'filterManifest: every input form, then the output again';
  const options = manifestOptions(c);
  const failures = [];
  const inputs = manifestInputs(c);
  for (const [label, input] of inputs) {
    const failure = manifestFailure(c, () => lib.filterManifest(input, options));
    if (failure) failures.push({ ...failure, why: `${label}: ${failure.why}` });
  }
  if (c.expect) {
    const again = { ...c, input: c.expect.text, expect: { ...c.expect, removed: 0 } };
    const failure = manifestFailure(again, () => lib.filterManifest(c.expect.text, options));
    if (failure) failures.push({ ...failure, why: `filtering the expected output again: ${failure.why}` });
  }
  return { rule, failures, note: inputs.map(([label]) => label).join(', ') };
}

export const MANIFEST_RULES = [manifestFilters];

// ---- running a file -----------------------------------------------------------------------

/** Why a case no rule applies to is not run, by kind. */
const NOT_RUN = {
  scopes: (c) => `nothing playgate reads: the SDK refused to build it${c.sdkError ? ` (${c.sdkError})` : ''}, so there is no protobuf, and `
    + `${c.scopeJson && c.scopeJson.$sdkClass ? `its scope is the SDK's class ${c.scopeJson.$sdkClass}, which has no JSON form` : 'there is no JSON form'}`
    + ' (tests/momento.rs skips it too)',
  tokens: (c) => `no token to decode: the SDK refused to make it${c.generationError ? ` (${c.generationError})` : ''}`,
};

/**
 * File-level rules over a run (what no single case can say): enough scopes compared with the
 * SDK's protobuf, enough dropped-selector hazards, enough tokens decoded. `[{ why, expected, actual }]`.
 */
function fileFailures(kind, cases) {
  const count = (predicate) => cases.filter((r) => r.status === 'pass' && r.rules.some(predicate)).length;
  const minimum = (why, got, want) => (got >= want ? [] : [{ why, expected: `>= ${want}`, actual: got }]);
  if (kind === 'scopes') {
    return [
      ...minimum('scopes compared with the SDK protobuf', count((r) => r.tally === 'compared'), 40),
      ...minimum('dropped-selector hazards checked', count((r) => r.tally === 'hazard'), 4),
    ];
  }
  if (kind === 'tokens') return minimum('tokens decoded', count((r) => r.tally === 'decoded'), 10);
  return [];
}

/**
 * Runs every rule of `rules` on every case of a checked vector file (www/vectors.js
 * checkVectors) with `lib`. Returns `{ total, passed, failed, notRun, failures, cases }`:
 * `total` the file's count; `cases[i]` = `{ name, source, status: 'pass' | 'fail' | 'not run',
 * rules: [{ rule, failures, note? }], reason? }`; `failures` = `[{ name, why, expected, actual }]`
 * (one per failing rule result; file-level failures named "(file)"); `failed` counts the
 * failing cases plus the failing file-level rules.
 */
export function runVectorFile(kind, rules, lib, file) {
  const cases = file.cases.map((c, i) => {
    const applied = [];
    for (const rule of rules) {
      let result;
      try {
        result = rule(lib, c);
      } catch (error) {
        result = { rule: rule.name, failures: [{ why: `threw ${describeError(error).threw}: ${describeError(error).message}`, expected: 'no exception', actual: String((error && error.stack) || error) }] };
      }
      if (result) applied.push(result);
    }
    const name = c && typeof c.name === 'string' ? c.name : `#${i + 1}`;
    const source = c && c.source;
    if (applied.length === 0) return { name, source, status: 'not run', rules: [], reason: (NOT_RUN[kind] || (() => 'no rule applies'))(c) };
    return { name, source, status: applied.some((r) => r.failures.length > 0) ? 'fail' : 'pass', rules: applied };
  });
  const failures = [];
  for (const r of cases) {
    for (const applied of r.rules) {
      for (const f of applied.failures) failures.push({ name: r.name, rule: applied.rule, why: f.why, expected: f.expected, actual: f.actual });
    }
  }
  const fileLevel = fileFailures(kind, cases);
  for (const f of fileLevel) failures.push({ name: '(file)', rule: 'file-level minimum', ...f });
  const notRun = cases.filter((r) => r.status === 'not run');
  return {
    total: file.count,
    passed: cases.filter((r) => r.status === 'pass').length,
    failed: cases.filter((r) => r.status === 'fail').length + fileLevel.length,
    notRun: notRun.map((r) => ({ name: r.name, reason: r.reason })),
    failures,
    cases,
  };
}

/** The vector kinds this module checks: file name and rules. */
export const VECTOR_KINDS = Object.freeze({
  scopes: { file: 'momento-scopes.json', rules: SCOPE_RULES },
  tokens: { file: 'momento-tokens.json', rules: TOKEN_RULES },
  fuzzRegressions: { file: 'fuzz-regressions.json', rules: FUZZ_REGRESSION_RULES },
  manifests: { file: 'manifests.json', rules: MANIFEST_RULES },
});

