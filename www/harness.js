// Runs tests/vectors/decisions.json through the web build and publishes the outcome as
// window.__results = { passed, failed, failures: [{ name, expected, actual }], total, error? },
// total being the file's `count`. window.__results is set exactly once, also when loading fails
// (then failed >= 1 and `error` says why).
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
  return { passed, failed: failures.length, failures, total: vectors.count };
}

main().then(
  (results) => {
    summary.textContent = `${results.passed} passed, ${results.failed} failed (${results.total} cases)`;
    summary.classList.add(results.failed === 0 ? 'ok' : 'bad');
    window.__results = results;
  },
  (error) => {
    summary.textContent = `Harness error: ${error && error.message}`;
    summary.classList.add('bad');
    window.__results = { passed: 0, failed: 1, failures: [{ name: '(harness)', expected: 'vectors loaded and run', actual: String(error && error.stack || error) }], error: String(error && error.message) };
  },
);
