// The real players in Node, for the tests that read what one does with a playlist or an MPD
// (gate-token-leaks, manifest-players, player-shaka-engine): the browser globals Shaka Player's
// compiled build touches when it loads, and an hls.js loader that answers with a given text.

/** Sets what Shaka's compiled build (and hls.js) read of a browser at load, where not set already. */
export function shakaGlobals() {
  globalThis.window ??= globalThis;
  globalThis.self ??= globalThis;
  globalThis.navigator ??= { userAgent: 'node', onLine: true };
  globalThis.document ??= { createElement: () => ({ canPlayType: () => '' }), addEventListener() {}, readyState: 'complete', querySelectorAll: () => [], head: {} };
  globalThis.location ??= { protocol: 'https:', href: 'https://player.example/' };
  Map.prototype.getOrInsertComputed ??= function getOrInsertComputed(key, make) { // eslint-disable-line no-extend-native
    if (!this.has(key)) this.set(key, make(key));
    return this.get(key);
  };
}

/** An hls.js loader class (`config.loader`) that answers every request with `text`, as a 200. */
export function textLoader(text) {
  const stats = () => ({
    aborted: false, loaded: 0, retry: 0, total: 0, chunkCount: 0, bwEstimate: 0,
    loading: { start: 0, first: 0, end: 0 }, parsing: { start: 0, end: 0 }, buffering: { start: 0, first: 0, end: 0 },
  });
  return class TextLoader {
    constructor() { this.stats = stats(); }
    load(context, _config, callbacks) { setTimeout(() => callbacks.onSuccess({ url: context.url, data: text }, this.stats, context, null)); }
    abort() {}
    destroy() {}
  };
}
