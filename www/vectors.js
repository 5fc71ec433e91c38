// Checks test vector files (tests/vectors/*.json), and runs and checks decision vectors. Plain ES
// module with no imports: the browser harness passes in the web build, the Node tests load every
// vector file through `checkVectors` (tests/node/helpers.mjs `loadVectors`), and the workerd test
// imports `checkCase` to compare results that came back over HTTP with the same rules.
//
// Every vector file: { description, count, cases: [{ name, source, ... }] }, count = cases.length.
// Decision file: { description, policies: {name: policy}, documents: {name: document}, count, cases: [...] }
// A case: { name, source, policy?, entitlement | blobText | dictionary, request, expect?, expectError? }
// It passes when every field of `expect` deep-equals the decision's field (`validUntil` given as
// RFC 3339 text is compared as Date.parse of it), or when `expectError` equals the `code` of the
// error thrown by any step. Without `expectError`, any thrown error fails the case.

/**
 * Returns the parsed vector file `name` after checking it: `cases` is a non-empty array of
 * exactly `count` cases, each with a non-empty string `name` (unique in the file) and `source`.
 * Throws a VectorError otherwise, so a lost case or an unsourced one fails every runner.
 */
export function checkVectors(name, parsed) {
  const cases = parsed && parsed.cases;
  if (!Array.isArray(cases) || cases.length === 0) throw new VectorError(`${name}: "cases" is not a non-empty array`);
  if (!Number.isInteger(parsed.count)) throw new VectorError(`${name}: no "count" (the number of cases)`);
  if (cases.length !== parsed.count) {
    throw new VectorError(`${name}: ${cases.length} cases but "count" says ${parsed.count}: a case was lost or added without updating "count"`);
  }
  const names = new Set();
  cases.forEach((c, i) => {
    if (typeof c?.name !== 'string' || !c.name.trim()) throw new VectorError(`${name}: case #${i + 1}: no "name"`);
    if (names.has(c.name)) throw new VectorError(`${name}: case name "${c.name}" given twice`);
    names.add(c.name);
    if (typeof c.source !== 'string' || !c.source.trim()) throw new VectorError(`${name}: case "${c.name}": no "source"`);
  });
  return parsed;
}

/** The policy input of a case: undefined (= new Policy()), or the JSON object/text for Policy.fromJson. */
export function casePolicy(vectors, c) {
  if (c.policy === undefined) return undefined;
  if (typeof c.policy === 'string') {
    if (!vectors.policies || !Object.prototype.hasOwnProperty.call(vectors.policies, c.policy)) {
      throw new VectorError(`case "${c.name}": policy "${c.policy}" is not in "policies"`);
    }
    return vectors.policies[c.policy];
  }
  return c.policy;
}

/**
 * The entitlement input of a case: `{ kind: 'blob', text }` or `{ kind: 'dictionary', fields }`.
 * A document (named or inline) becomes blob text with JSON.stringify.
 */
export function caseEntitlement(vectors, c) {
  const given = ['entitlement', 'blobText', 'dictionary'].filter((k) => c[k] !== undefined);
  if (given.length !== 1) {
    throw new VectorError(`case "${c.name}": needs exactly one of entitlement, blobText, dictionary (has ${given.join(', ') || 'none'})`);
  }
  if (c.entitlement !== undefined) {
    let doc = c.entitlement;
    if (typeof doc === 'string') {
      if (!vectors.documents || !Object.prototype.hasOwnProperty.call(vectors.documents, doc)) {
        throw new VectorError(`case "${c.name}": document "${doc}" is not in "documents"`);
      }
      doc = vectors.documents[doc];
    }
    return { kind: 'blob', text: JSON.stringify(doc), document: doc };
  }
  if (c.blobText !== undefined) return { kind: 'blob', text: c.blobText };
  return { kind: 'dictionary', fields: c.dictionary };
}

/** A malformed vector (not a library failure). */
export class VectorError extends Error {}

/**
 * Runs one case with the library `{ Policy, Entitlement }` (the web build after init()).
 * Returns `{ decision }` or `{ error: { code, message } }`. Frees what it allocates.
 */
export function runCase(lib, vectors, c) {
  const { Policy, Entitlement } = lib;
  const policyInput = casePolicy(vectors, c);
  const entInput = caseEntitlement(vectors, c);
  let policy;
  let ent;
  try {
    policy = policyInput === undefined ? new Policy() : Policy.fromJson(policyInput);
    ent = entInput.kind === 'blob' ? Entitlement.fromBlob(entInput.text) : Entitlement.fromDictionary(entInput.fields);
    return { decision: policy.evaluate(ent, c.request) };
  } catch (error) {
    if (error instanceof VectorError) throw error;
    return { error: { code: error && error.code, message: String(error && error.message), isError: error instanceof Error } };
  } finally {
    if (ent) ent.free();
    if (policy) policy.free();
  }
}

export function deepEqual(a, b) {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]));
}

/** The expected value of a decision field, normalised for comparison. */
function expectedValue(field, value) {
  if (field === 'validUntil' && typeof value === 'string') {
    const t = Date.parse(value);
    if (Number.isNaN(t)) throw new VectorError(`expect.validUntil: not a date: ${value}`);
    return t;
  }
  return value;
}

/**
 * Checks an outcome (`{ decision }` or `{ error }`) against a case.
 * Returns `null` when it passes, else `{ name, expected, actual, why }`.
 */
export function checkCase(c, outcome) {
  const fail = (why, expected, actual) => ({ name: c.name, expected, actual, why });
  if (c.expectError !== undefined) {
    if (!outcome.error) return fail(`expected error ${c.expectError}, got a decision`, { error: c.expectError }, outcome.decision);
    if (outcome.error.code !== c.expectError) {
      return fail(`expected error ${c.expectError}, got ${outcome.error.code}`, { error: c.expectError }, outcome.error);
    }
    // In-process outcomes say whether a real Error was thrown (over HTTP there is no such flag).
    if (outcome.error.isError === false) return fail('thrown value is not an Error', { error: c.expectError }, outcome.error);
    return null;
  }
  if (outcome.error) return fail(`unexpected error ${outcome.error.code}: ${outcome.error.message}`, c.expect ?? {}, outcome.error);
  const expect = c.expect ?? {};
  const decision = outcome.decision;
  const expected = {};
  const actual = {};
  let ok = true;
  for (const field of Object.keys(expect)) {
    expected[field] = expectedValue(field, expect[field]);
    actual[field] = decision === null || typeof decision !== 'object' ? undefined : decision[field];
    if (!deepEqual(expected[field], actual[field])) ok = false;
  }
  if (ok) return null;
  const fields = Object.keys(expect).filter((f) => !deepEqual(expected[f], actual[f]));
  return fail(`mismatch in ${fields.join(', ')}`, expected, decision);
}
