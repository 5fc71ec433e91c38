// The input area: where a document's or a manifest's bytes go into wasm memory (src/wasm/lib.rs
// `_input`), with one `TextEncoder.encodeInto` or one byte copy and no allocation on either side.
// Owns, per module, the view of its memory and what the last write left there.

import { fail } from './checks.mjs';

const inputs = new WeakMap(); // the module's `_input` -> its writer

// The largest input, in characters or bytes: 64 MiB (an entitlement document's own limit; a
// manifest 30 times the largest MPD we know of). A larger one could ask wasm for more memory
// than it can grow to, and an allocation that fails traps: the instance would be dead for every
// later call.
export const MAX_INPUT = 64 << 20;

/**
 * The input writer of one module: `write(source, code)` puts a string (as UTF-8) or bytes (a
 * Uint8Array) at the input area and returns their length in bytes, or throws `code` for a source
 * over MAX_INPUT; afterwards `at` is the area's address and `ascii` whether the source was a
 * string of ASCII characters only (then its byte offsets are its string offsets). `bytes(length)`
 * views what was written (after any call that may have grown the memory).
 */
export function inputWriter(raw) {
  let writer = inputs.get(raw._input);
  if (writer !== undefined) return writer;
  const encoder = new TextEncoder();
  let memory = null; // asked for on first use (web targets init after import)
  writer = {
    at: 0,
    ascii: false,
    write(source, code) {
      if (memory === null) memory = raw._memory();
      // The area's address, or `code` for a source over MAX_INPUT and for no room (`_input`
      // answers 0 when its area is in use: never, as the calls are made).
      const area = (n) => {
        const at = source.length > MAX_INPUT ? 0 : raw._input(n);
        if (at === 0) throw fail(code, 'input: over 64 MiB, or no room in wasm');
        return at;
      };
      if (typeof source === 'string') {
        const n = source.length;
        let at = area(n);
        const { read, written } = encoder.encodeInto(source, new Uint8Array(memory.buffer, at, n));
        this.ascii = read === n && written === n; // n characters in n bytes: each one byte
        if (read < n) { // not ASCII: at most 3 bytes per UTF-16 unit
          at = area(3 * n);
          this.at = at;
          return encoder.encodeInto(source, new Uint8Array(memory.buffer, at, 3 * n)).written;
        }
        this.at = at;
        return written;
      }
      const at = area(source.length);
      new Uint8Array(memory.buffer, at, source.length).set(source);
      this.at = at;
      this.ascii = false;
      return source.length;
    },
    bytes(length) {
      return new Uint8Array(memory.buffer, this.at, length);
    },
    /** The module's memory (after a write). */
    get memory() {
      return memory;
    },
  };
  inputs.set(raw._input, writer);
  return writer;
}
