// Runs tests/vectors/decisions.json through the web build and publishes the outcome as
// window.__results = { passed, failed, failures: [{ name, expected, actual }], total, error?,
// manifests }, total being the file's `count`; `manifests` is the same summary for
// tests/vectors/manifests.json through the player module's filterManifest (what a web player
// imports). window.__results is set exactly once, also when loading fails (then
// failed >= 1 and `error` says why).
import { runCase, checkCase, checkVectors } from './vectors.js';

const summary = document.getElementById('summary');
const tbody = document.querySelector('#results tbody');

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.appendChild(td);
  return td;
}

function show(value) {
  return JSON.stringify(value, (_, v) => (v === undefined ? '(undefined)' : v));
}

async function main() {
  const lib = await import('/pkg/web/index.js');
  await lib.default();
  const response = await fetch('/vectors/decisions.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`GET /vectors/decisions.json: HTTP ${response.status}`);
  const vectors = checkVectors('decisions.json', await response.json());
  if (vectors.description) document.title += ` — ${vectors.description}`;

  let passed = 0;
  const failures = [];
  vectors.cases.forEach((c, i) => {
    let failure;
    try {
      failure = checkCase(c, runCase(lib, vectors, c));
    } catch (error) {
      // A malformed vector or a crash of the harness itself: a failure, never a silent skip.
      failure = { name: c && c.name, expected: c && (c.expect ?? { error: c.expectError }), actual: { harnessError: String(error && error.stack || error) }, why: String(error && error.message) };
    }
    const row = document.createElement('tr');
    cell(row, String(i + 1));
    cell(row, String(c && c.name));
    cell(row, String((c && c.source) ?? ''));
    if (failure) {
      failures.push({ name: failure.name ?? `#${i + 1}`, expected: failure.expected, actual: failure.actual });
      row.className = 'fail';
      cell(row, 'FAIL', 'outcome');
      const td = cell(row, '');
      const why = document.createElement('div');
      why.textContent = failure.why;
      const pre = document.createElement('pre');
      pre.textContent = `expected ${show(failure.expected)}\nactual   ${show(failure.actual)}`;
      td.append(why, pre);
    } else {
      passed++;
      row.className = 'pass';
      cell(row, 'pass', 'outcome');
      cell(row, c.expectError !== undefined ? `throws ${c.expectError}` : show(c.expect ?? {}));
    }
    tbody.appendChild(row);
  });
  return { passed, failed: failures.length, failures, total: vectors.count, manifests: await manifests() };
}

/** One manifest case: null when it holds, else why not. */
function manifestFailure(lib, c) {
  const input = c.inputBase64 !== undefined ? Uint8Array.from(atob(c.inputBase64), (ch) => ch.charCodeAt(0)) : c.input;
  const options = Object.prototype.hasOwnProperty.call(c, 'maxQuality') ? { maxQuality: c.maxQuality } : {};
  let got;
  try {
    got = lib.filterManifest(input, options);
  } catch (error) {
    if (!c.expectError) return `threw ${error && error.code}: ${error && error.message}`;
    if (error.code !== c.expectError.code) return `threw ${error.code}, expected ${c.expectError.code}`;
    const where = c.expectError.where;
    const line = typeof where === 'number' ? where : where && where.line;
    if (line !== undefined && !error.message.startsWith(`line ${line}:`)) return `message does not start with line ${line}: ${error.message}`;
    if (where && where.element && !error.message.includes(`<${where.element}>`)) return `message does not name <${where.element}>: ${error.message}`;
    return null;
  }
  if (c.expectError) return `returned, expected ${c.expectError.code}`;
  for (const key of ['format', 'text', 'kept', 'removed']) {
    if (got[key] !== c.expect[key]) return `${key}: ${show(got[key])}, expected ${show(c.expect[key])}`;
  }
  const again = lib.filterManifest(got.text, options);
  return again.text === got.text && again.removed === 0 ? null : 'filtering the output again changed it';
}

async function manifests() {
  const lib = await import('/pkg/web/index.js');
  await lib.default(); // already initialised by main(): a no-op
  const response = await fetch('/vectors/manifests.json', { cache: 'no-store' });
  if (!response.ok) throw new Error(`GET /vectors/manifests.json: HTTP ${response.status}`);
  const vectors = checkVectors('manifests.json', await response.json());
  const failures = [];
  for (const c of vectors.cases) {
    let why;
    try {
      why = manifestFailure(lib, c);
    } catch (error) {
      why = `harness error: ${error && error.message}`;
    }
    if (why) failures.push({ name: c.name, why });
  }
  return { passed: vectors.cases.length - failures.length, failed: failures.length, failures, total: vectors.count };
}

main().then(
  (results) => {
    const m = results.manifests;
    summary.textContent = `${results.passed} passed, ${results.failed} failed (${results.total} cases); manifests: ${m.passed} passed, ${m.failed} failed (${m.total} cases)`;
    summary.classList.add(results.failed === 0 && m.failed === 0 ? 'ok' : 'bad');
    window.__results = results;
  },
  (error) => {
    summary.textContent = `Harness error: ${error && error.message}`;
    summary.classList.add('bad');
    window.__results = { passed: 0, failed: 1, failures: [{ name: '(harness)', expected: 'vectors loaded and run', actual: String(error && error.stack || error) }], error: String(error && error.message) };
  },
);
