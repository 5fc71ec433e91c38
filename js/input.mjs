// The input area: where a document's or a manifest's bytes go into wasm memory (src/wasm/lib.rs
// `_input`), with one `TextEncoder.encodeInto` or one byte copy and no allocation on either side.
// Owns, per module, the view of its memory and what the last write left there.

const inputs = new WeakMap(); // the module's `_input` -> its writer

/**
 * The input writer of one module: `write(source)` puts a string (as UTF-8) or bytes (a
 * Uint8Array) at the input area and returns their length in bytes; afterwards `at` is the area's
 * address and `ascii` whether the source was a string of ASCII characters only (then its byte
 * offsets are its string offsets). `bytes(length)` views what was written (after any call
 * that may have grown the memory).
 */
export function inputWriter(raw) {
  let writer = inputs.get(raw._input);
  if (writer !== undefined) return writer;
  const encoder = new TextEncoder();
  let memory = null; // asked for on first use (web targets init after import)
  writer = {
    at: 0,
    ascii: false,
    write(source) {
      if (memory === null) memory = raw._memory();
      if (typeof source === 'string') {
        const n = source.length;
        let at = raw._input(n);
        const { read, written } = encoder.encodeInto(source, new Uint8Array(memory.buffer, at, n));
        this.ascii = read === n && written === n; // n characters in n bytes: each one byte
        if (read < n) { // not ASCII: at most 3 bytes per UTF-16 unit
          at = raw._input(3 * n);
          this.at = at;
          return encoder.encodeInto(source, new Uint8Array(memory.buffer, at, 3 * n)).written;
        }
        this.at = at;
        return written;
      }
      const at = raw._input(source.length);
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
