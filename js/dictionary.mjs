// The dictionary adapter: what `Entitlement.fromDictionary` accepts, made into a Map of fields
// before anything reaches wasm. The Momento SDK's dictionary responses (dictionaryFetch,
// dictionaryGetFields) as well as records and Maps: a Hit gives its fields, a Miss means the
// user has no document, an Error is the cache's failure. Told apart by the SDK's own `type`
// tag, so no SDK import is needed. The fields are copied here, once, so wasm never runs a
// caller's getter.

import { fail, isPlainObject } from './checks.mjs';

// The SDK's tags: a record carrying one is a response (copied, or made by hand), never a
// document's fields (an `{ type: 'Error' }` read as fields would be an empty, unrestricted one).
const SDK_TAGS = ['Hit', 'Miss', 'Error'];

/** The fields of a dictionary response, record or Map, as a fresh Map; throws coded errors. */
export function dictionaryFields(fields) {
  if (fields !== null && typeof fields === 'object' && !(fields instanceof Map) && typeof fields.type === 'string'
      && (typeof fields.valueRecord === 'function' || typeof fields.errorCode === 'function' || SDK_TAGS.includes(fields.type))) {
    if (fields.type === 'Hit' && typeof fields.valueRecord === 'function') {
      // dictionaryGetFields' Hit keeps a result per field, and its valueRecord leaves out a field
      // the cache failed to read: that field would count as absent (unrestricted).
      if (Array.isArray(fields.responses) && fields.responses.some((r) => r?.type !== 'Hit' && r?.type !== 'Miss')) {
        throw fail('ENTITLEMENT_UNAVAILABLE', 'dictionary: a field failed to read');
      }
      fields = fields.valueRecord();
    }
    else if (fields.type === 'Miss') throw fail('ENTITLEMENT_MISSING', 'dictionary: a Miss (no such dictionary)');
    else if (fields.type === 'Error') {
      const detail = typeof fields.message === 'function' ? fields.message() : String(fields);
      throw fail('ENTITLEMENT_UNAVAILABLE', `dictionary: an error response: ${detail}`);
    } else throw fail('INVALID_ENTITLEMENT', `dictionary: a "${fields.type}" response is not a dictionary`);
  }
  // Only a Map or a plain record: a Date, a Set, a typed array or a class instance has no
  // own fields and would read as an empty, unrestricted document.
  if (fields instanceof Map) return new Map(fields);
  if (fields !== null && typeof fields === 'object' && !Array.isArray(fields) && isPlainObject(fields)) {
    return new Map(Object.entries(fields));
  }
  throw fail('INVALID_ENTITLEMENT', 'dictionary: expected a record or Map of strings');
}
