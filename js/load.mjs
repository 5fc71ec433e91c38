// Starts a wasm module's one instance from whatever the host hands over. Every ES entry
// (web/index.js and bundler/index.js, the same under edge/) runs its module's glue,
// web/playgate_bg.js (wasm-bindgen's `bundler` output), and starts it with a loader made here;
// Node's entries carry their own (js/entries/node.cjs).
//
// What a host hands over, by who hands it (each tested from the packed tarball):
//   the instance's exports        webpack 5 (asyncWebAssembly), Deno: the .wasm imported as a module
//   a WebAssembly.Module          workerd through wrangler (CompiledWasm), initSync({ module })
//   a URL or a string             Vite (the .wasm as an asset), esbuild --loader:.wasm=file, init()
//   an init function              Rollup's @rollup/plugin-wasm (called with the imports)
//   bytes, a Response, a Promise  init({ module_or_path }), as wasm-bindgen's own init takes them

/** `{ instantiate, instantiateSync }` for the module whose glue is `glue` (its namespace). */
export function wasmLoader(glue) {
  // The .wasm imports its glue under this name (wasm-bindgen's bundler output).
  const imports = { './playgate_bg.js': glue };
  let running = null; // the instance's exports, once started
  let starting = null; // the pending load, so that concurrent init() calls share it

  const start = (exports) => {
    if (running === null) {
      glue.__wbg_set_wasm(exports);
      exports.__wbindgen_start();
      running = exports;
    }
    return running;
  };

  /** Starts the instance synchronously from a WebAssembly.Module, its bytes, or an imported namespace. */
  function instantiateSync(input) {
    if (running !== null) return running;
    const source = unwrap(input, 'module');
    if (source !== null && typeof source === 'object') {
      if (isModule(source)) return start(new WebAssembly.Instance(source, imports).exports);
      if (isBytes(source)) return start(new WebAssembly.Instance(new WebAssembly.Module(source), imports).exports);
      if (isExports(source)) return start(source);
    }
    throw fail('initSync: expected { module } with a WebAssembly.Module or the .wasm\'s bytes');
  }

  /**
   * Starts the instance from anything listed at the top of this file; from `fallback()` when
   * given nothing. A string or URL is fetched, resolved against `base` (the importing module's
   * URL; the page's when absent).
   */
  function instantiate(input, base, fallback) {
    if (running !== null) return Promise.resolve(running);
    starting ??= load(unwrap(input, 'module_or_path'), base, fallback).catch((error) => {
      starting = null; // a later call may try again (after a network error, say)
      throw error;
    });
    return starting;
  }

  async function load(input, base, fallback) {
    let source = await input;
    if (source === undefined && fallback !== undefined) source = fallback();
    // A module namespace: the instance itself, or a loader's default export (an asset URL, a
    // Module, an init function). Not every bundler tags its namespaces, so it is told by shape.
    if (source !== null && typeof source === 'object' && !isModule(source) && !isBytes(source) && !isFetchable(source)) {
      if (isExports(source)) return start(source);
      if ('default' in source) source = Reflect.get(source, 'default');
    }
    if (typeof source === 'function') {
      const made = await source(imports); // @rollup/plugin-wasm: { instance, module }, or an Instance
      const instance = made instanceof WebAssembly.Instance ? made : made?.instance;
      if (!(instance instanceof WebAssembly.Instance)) throw fail('the .wasm loader returned no instance');
      return start(instance.exports);
    }
    if (typeof source === 'string' || source instanceof URL || isRequest(source)) {
      const given = source;
      try {
        // A relative string needs a base: the importing module's URL, else the page's.
        source = await fetch(isRequest(given) ? given : new URL(given, base ?? globalThis.document?.baseURI ?? globalThis.location?.href));
      } catch (error) {
        throw fail(`fetching the .wasm from ${isRequest(given) ? given.url : given} failed: ${error?.message ?? error}`, error);
      }
    }
    if (isResponse(source)) return start((await fromResponse(source, imports)).exports);
    if (source !== null && typeof source === 'object' && (isModule(source) || isBytes(source) || isExports(source))) {
      return instantiateSync({ module: source });
    }
    throw fail('init: expected the .wasm as a URL, Response, WebAssembly.Module or bytes');
  }

  return { instantiate, instantiateSync };
}

function fail(message, cause) {
  const error = new Error(`playgate: ${message}`, cause === undefined ? undefined : { cause });
  error.code = 'WASM_UNAVAILABLE';
  return error;
}

const isModule = (value) => value instanceof WebAssembly.Module;
const isBytes = (value) => value instanceof ArrayBuffer || ArrayBuffer.isView(value);
const isRequest = (value) => typeof Request === 'function' && value instanceof Request;
const isResponse = (value) => typeof Response === 'function' && value instanceof Response;
const isFetchable = (value) => value instanceof URL || isRequest(value) || isResponse(value);
/** A module namespace of the instance's exports (its memory and wasm-bindgen's start function). */
const isExports = (value) => typeof Reflect.get(value, '__wbindgen_start') === 'function';

/** `{ module }` / `{ module_or_path }` as wasm-bindgen's init functions take them, or the value itself. */
function unwrap(input, key) {
  if (input !== null && typeof input === 'object' && Object.getPrototypeOf(input) === Object.prototype && key in input) {
    return input[key];
  }
  return input;
}

async function fromResponse(response, imports) {
  if (!response.ok) throw fail(`fetching the .wasm answered ${response.status} ${response.statusText} (${response.url})`);
  if (typeof WebAssembly.instantiateStreaming === 'function' && /^application\/wasm\b/.test(response.headers.get('Content-Type') ?? '')) {
    return (await WebAssembly.instantiateStreaming(response, imports)).instance;
  }
  // Served without the wasm MIME type (a bare static server): compile from the bytes instead.
  return (await WebAssembly.instantiate(await response.arrayBuffer(), imports)).instance;
}
