// The names a reader of a caller's object may see, for the checks of unknown fields and options
// (js/checks.mjs, js/cache.mjs, the player guards). Object.keys and for-in list enumerable names
// only; a class's getter, a member defined non-enumerable, or one inherited from a null-prototype
// object is read by destructuring (and by the SDK) all the same, so a misspelt one would leave
// its restriction off unseen.

const { getOwnPropertyNames: namesOf, getPrototypeOf: protoOf, getOwnPropertyDescriptor: own } = Object;

// Object.prototype's own names: a prototype with only these and none above it is a realm's
// Object.prototype (this one, or another realm's: a vm context, an iframe), whose names are no fields.
const STANDARD = /* @__PURE__ */ namesOf(Object.prototype);

/** Whether `o` is a realm's Object.prototype (see STANDARD). */
export function isObjectPrototype(o) {
  return o === Object.prototype || (protoOf(o) === null && namesOf(o).every((name) => STANDARD.includes(name)));
}

/**
 * `value`'s field names: its own, enumerable or not, then each prototype's up to a realm's
 * Object.prototype (64 at most: a longer chain, or one that loops through a Proxy, is a field
 * of its own), but for `constructor` and, unless `methods` (options, some of which are
 * functions: a misspelt `clock()` is one), a prototype's functions (a class's methods).
 */
export function fieldNames(value, methods) {
  const names = namesOf(value);
  let depth = 0;
  for (let o = protoOf(value); o !== null && !isObjectPrototype(o); o = protoOf(o)) {
    if (++depth > 64) return [...names, '__proto__']; // refused: no field has that name
    for (const name of namesOf(o)) {
      if (name !== 'constructor' && (methods || typeof own(o, name)?.value !== 'function')) names.push(name);
    }
  }
  return names;
}
