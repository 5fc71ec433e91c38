// Runs the shared vectors of every module through the web build (/pkg/web/index.js: decisions,
// scopes, token decoding, manifest filtering) with the rules the Node tests use (www/vectors.js
// for decisions, www/vector-checks.js for the rest), shows one pass/fail table per module, and
// publishes the outcome once, also when loading fails:
//
//   window.__results = {
//     passed, failed, failures: [{ name, expected, actual, why, rule }], total,   // the decision vectors
//     manifests: { passed, failed, failures, total, notRun },                    // = modules.manifests
//     modules: { decisions, scopes, tokens, fuzzRegressions, manifests },        // each as `manifests`, + file, ms, error?
//     overall: { passed, failed, notRun, total },                                // every module
//     error?,                                                                    // why something did not load
//   }
//
// `total` is the file's `count` (www/vectors.js checkVectors refuses a file whose count is not its
// number of cases); `notRun` lists the cases no rule applies to in a browser, each with the reason.
// A module whose file or library did not load has failed >= 1 and `error`.
import { runCase, checkCase, checkVectors } from './vectors.js';
import { VECTOR_KINDS, runVectorFile } from './vector-checks.js';

const MODULES = [
  { key: 'decisions', title: 'Decisions', file: 'decisions.json', api: 'Policy.evaluate', about: 'Policy + Entitlement → decision, or a coded error (www/vectors.js).' },
  { key: 'scopes', title: 'Scopes', file: VECTOR_KINDS.scopes.file, api: 'PermissionScope', about: 'The scopes Momento’s SDK sent: the JSON form answers as the SDK’s protobuf; never wider where the SDK dropped item selectors; the SDK’s super user reads as the super user; allows (JS check plan) = explain (wasm).' },
  { key: 'tokens', title: 'Tokens', file: VECTOR_KINDS.tokens.file, api: 'decodeMomentoToken', about: 'Momento token strings decode as the SDK decodes them, or are MALFORMED_TOKEN where the SDK refuses them.' },
  { key: 'fuzzRegressions', title: 'Fuzz regressions', file: VECTOR_KINDS.fuzzRegressions.file, api: 'PermissionScope', about: 'Scopes that fuzzing and the property tests found mishandled (issue 11), replayed through the JS layer: reads, checks (plan and wasm), toJSON.' },
  { key: 'manifests', title: 'Manifests', file: VECTOR_KINDS.manifests.file, api: 'filterManifest', about: 'Every input form (text, bytes, ArrayBuffer) filters to the expected output or coded error; the output filters to itself.' },
];

const summary = document.getElementById('summary');
const counts = document.getElementById('module-counts');
const container = document.getElementById('modules');

function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'className') node.className = v;
    else if (k === 'text') node.textContent = v;
    else node.setAttribute(k, v);
  }
  node.append(...children.filter((c) => c !== undefined && c !== null));
  return node;
}

function show(value) {
  if (typeof value === 'string') return value;
  return JSON.stringify(value, (_, v) => (v === undefined ? '(undefined)' : v));
}

/** The decision vectors as one rule of www/vectors.js, in the shape of vector-checks.js rules. */
function decisionRule(vectors) {
  return function decision(lib, c) {
    const failure = checkCase(c, runCase(lib, vectors, c));
    const note = c.expectError !== undefined ? `throws ${c.expectError}` : show(c.expect ?? {});
    return { rule: 'decision', failures: failure ? [{ why: failure.why, expected: failure.expected, actual: failure.actual }] : [], note };
  };
}

async function loadFile(file) {
  const response = await fetch(`/vectors/${file}`, { cache: 'no-store' });
  if (!response.ok) throw new Error(`GET /vectors/${file}: HTTP ${response.status}`);
  return checkVectors(file, await response.json());
}

/** One module: its file run with its rules; a load failure is a failed module with `error`. */
async function runModule(lib, module) {
  try {
    if (lib instanceof Error) throw lib;
    const file = await loadFile(module.file);
    const rules = module.key === 'decisions' ? [decisionRule(file)] : VECTOR_KINDS[module.key].rules;
    return { ...runVectorFile(module.key, rules, lib, file), description: file.description };
  } catch (error) {
    const why = String((error && error.message) || error);
    return {
      passed: 0, failed: 1, notRun: [], total: undefined, cases: [], error: why,
      failures: [{ name: '(load)', rule: 'load', why, expected: `${module.file} loaded and run`, actual: String((error && error.stack) || error) }],
    };
  }
}

function caseRow(r, i) {
  const status = r.status === 'not run' ? 'notrun' : r.status;
  const nameCell = el('td', { className: 'case' }, el('div', { text: r.name }), r.source ? el('div', { className: 'source', text: r.source }) : undefined);
  const details = el('td', { className: 'details' });
  if (r.status === 'not run') {
    details.append(el('div', { text: r.reason }));
  } else {
    for (const applied of r.rules) {
      const failed = applied.failures.length > 0;
      const line = el('div', { className: `rule${failed ? ' failed' : ''}` }, el('span', { className: 'rule-name', text: `${failed ? '✗' : '✓'} ${applied.rule}` }));
      // The note says what held: a failing rule's failures say the rest.
      if (applied.note && !failed) line.append(el('span', { className: 'muted', text: ` — ${applied.note}` }));
      details.append(line);
      for (const f of applied.failures) {
        details.append(el('div', { className: 'why', text: f.why }));
        if (f.expected !== null || f.actual !== null) details.append(el('pre', { text: `expected ${show(f.expected)}\nactual   ${show(f.actual)}` }));
      }
    }
  }
  const label = { pass: 'pass', fail: 'FAIL', notrun: 'not run' }[status];
  return el('tr', { className: status }, el('td', { className: 'num', text: String(i + 1) }), nameCell, el('td', { className: 'outcome', text: label }), details);
}

function countText(m) {
  const parts = [`${m.passed} passed`, `${m.failed} failed`];
  if (m.notRun.length) parts.push(`${m.notRun.length} not run`);
  return `${parts.join(', ')}${m.total === undefined ? '' : ` (${m.total} cases)`}`;
}

function render(module, m) {
  const ok = m.failed === 0;
  const section = el('section', { className: `module ${ok ? 'ok' : 'bad'}`, id: `module-${module.key}`, 'data-module': module.key });
  section.append(el('h2', {},
    el('span', { text: module.title }), ' ',
    el('span', { className: 'muted', text: `${module.file} · ${module.api}` }), ' ',
    el('span', { className: `count ${ok ? 'ok' : 'bad'}`, text: countText(m) }),
    el('span', { className: 'muted ms', text: `${(m.ms / 1000).toFixed(1)} s` })));
  section.append(el('p', { className: 'muted small', text: module.about }));
  if (m.error) section.append(el('p', { className: 'load-error', text: `Not run: ${m.error}` }));
  const tbody = el('tbody');
  m.cases.forEach((r, i) => tbody.append(caseRow(r, i)));
  // File-level rules (enough cases of a kind): a failure row of their own.
  for (const f of m.failures.filter((x) => x.name === '(file)')) {
    tbody.append(el('tr', { className: 'fail' }, el('td', { className: 'num', text: '—' }), el('td', { className: 'case', text: '(whole file)' }),
      el('td', { className: 'outcome', text: 'FAIL' }),
      el('td', { className: 'details' }, el('div', { className: 'why', text: f.why }), el('pre', { text: `expected ${show(f.expected)}\nactual   ${show(f.actual)}` }))));
  }
  if (m.cases.length || tbody.childElementCount) {
    section.append(el('div', { className: 'table-wrap' }, el('table', { className: 'results' },
      el('thead', {}, el('tr', {}, el('th', { text: '#' }), el('th', { text: 'case' }), el('th', { text: 'result' }), el('th', { text: 'details' }))),
      tbody)));
  }
  container.append(section);
  counts.append(el('li', { className: ok ? 'ok' : 'bad' }, el('a', { href: `#module-${module.key}`, text: module.title }), ` ${countText(m)}`));
}

async function main() {
  let lib;
  try {
    lib = await import('/pkg/web/index.js');
    await lib.default();
  } catch (error) {
    lib = new Error(`the web build did not load: ${(error && error.message) || error}`);
  }
  const modules = {};
  for (const module of MODULES) {
    const started = performance.now();
    const m = await runModule(lib, module);
    m.ms = Math.round(performance.now() - started);
    render(module, m);
    const { cases, description, ...published } = m;
    modules[module.key] = { ...published, file: module.file };
  }
  return modules;
}

function publish(modules, fatal) {
  const list = Object.values(modules);
  const overall = {
    passed: list.reduce((n, m) => n + m.passed, 0),
    failed: list.reduce((n, m) => n + m.failed, 0) + (fatal ? 1 : 0),
    notRun: list.reduce((n, m) => n + m.notRun.length, 0),
    total: list.reduce((n, m) => n + (m.total ?? 0), 0),
  };
  const errors = [fatal, ...list.map((m) => m.error && `${m.file}: ${m.error}`)].filter(Boolean);
  const d = modules.decisions ?? { passed: 0, failed: 1, failures: [{ name: '(harness)', rule: 'load', why: fatal, expected: 'vectors loaded and run', actual: fatal }], total: undefined };
  const results = {
    passed: d.passed, failed: d.failed, failures: d.failures, total: d.total,
    manifests: modules.manifests, modules, overall,
  };
  if (errors.length) results.error = errors.join('; ');
  const ok = overall.failed === 0;
  summary.textContent = `${ok ? 'All vectors pass' : 'Failures'}: ${overall.passed} passed, ${overall.failed} failed`
    + `${overall.notRun ? `, ${overall.notRun} not run (no input to run: see their rows)` : ''} (${overall.total} cases in ${list.length} files)`
    + `${errors.length ? ` — ${results.error}` : ''}`;
  summary.classList.add(ok ? 'ok' : 'bad');
  document.title = `${ok ? '✓' : '✗'} ${document.title}`;
  window.__results = results;
}

main().then(
  (modules) => publish(modules),
  (error) => publish({}, `harness error: ${(error && error.stack) || error}`),
);
