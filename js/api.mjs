// playgate's thin JS layer, shared by every entry point (web, node, bundler), one file per
// concern. It does what the wasm-bindgen glue cannot do cheaply or safely: checks arguments
// before they reach wasm (turning mistakes into Errors with a stable `code`), moves requests
// without allocating, and builds result objects from packed numbers.
//
// - abi.mjs        the JS side of the JS/wasm protocol (src/abi.rs): tables and constants
// - checks.mjs     coded errors, the strict JSON writer for caller data, receiver guards
// - decisions.mjs  Policy and Entitlement (`install`): the I/O area, decisions, catalog pages
// - dictionary.mjs Entitlement.fromDictionary's adapter for SDK responses, records and Maps
// - input.mjs      the input area: a document's or a manifest's bytes written into wasm memory
// - scopes.mjs     PermissionScope (`installScopes`) and decodeMomentoToken (`tokenDecoder`)
// - jwt.mjs        the edge module's JWT classes (`installJwt`), WebCrypto verification
// - manifests.mjs  filterManifest (`manifestFilter`) and packagerFilters
// - gate.mjs       the edge gate (`gateFactory`, both modules): createGate, its steps, its verified-token LRU;
//                  its parts gate-request.mjs (the URL, layout, cookies, forwardHeaders/forwardQuery),
//                  gate-answers.mjs (refusals, CORS), gate-deadlines.mjs (the origin's deadlines),
//                  gate-node.mjs (gate.node, the node:http adapter)
// - segments.mjs   the gate's segment tokens: their format, HMAC key, and the playlist/MPD URI rewriting
//
// build.sh bundles this file and its imports into the package's one api.mjs (esbuild), which
// every platform runs, Node too (js/entries/node.cjs runs it as a function body).

export { DECISION_CODES } from './abi.mjs';
export { install } from './decisions.mjs';
export { axinomMessage, installJwt } from './jwt.mjs';
export { gateFactory } from './gate.mjs';
export { manifestFilter, packagerFilters } from './manifests.mjs';
export { installScopes, tokenDecoder } from './scopes.mjs';
