// The names a reader of a caller's object may see, for the checks of unknown fields and options
// (js/checks.mjs, js/cache.mjs, the player guards). Object.keys and for-in list enumerable names
// only; a class's getter, a member defined non-enumerable, or one inherited from a null-prototype
// object is read by destructuring (and by the SDK) all the same, so a misspelt one would leave
// its restriction off unseen.

// Object.prototype's own names: a prototype with only these and none above it is a realm's
// Object.prototype (this one, or another realm's: a vm context, an iframe), whose names are no fields.
const STANDARD = /* @__PURE__ */ Object.getOwnPropertyNames(Object.prototype);

/** Whether `o` is a realm's Object.prototype (see STANDARD). */
export function isObjectPrototype(o) {
  return o === Object.prototype || (Object.getPrototypeOf(o) === null && Object.getOwnPropertyNames(o).every((name) => STANDARD.includes(name)));
}

/**
 * `value`'s field names: its own, enumerable or not, then each prototype's up to a realm's
 * Object.prototype, but for a prototype's methods and `constructor`.
 */
export function fieldNames(value) {
  const names = Object.getOwnPropertyNames(value);
  for (let o = Object.getPrototypeOf(value); o !== null && !isObjectPrototype(o); o = Object.getPrototypeOf(o)) {
    for (const name of Object.getOwnPropertyNames(o)) {
      if (name !== 'constructor' && typeof Object.getOwnPropertyDescriptor(o, name).value !== 'function') names.push(name);
    }
  }
  return names;
}
