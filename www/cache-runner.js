// Runs one cache-client or entitlement-store operation from a JSON spec and answers JSON, so the
// same scenarios (tests/node/cache-scenarios.mjs) drive the client in Node, in a Chromium page
// and in a workerd worker. `playgate` is the imported package module of that environment.

function failure(error, started) {
  return {
    ok: false,
    name: error?.name ?? null,
    code: error?.code ?? null,
    status: error?.status ?? null,
    local: error?.local ?? null,
    attempts: error?.attempts ?? null,
    message: String(error?.message ?? error),
    ms: Date.now() - started,
  };
}

function keyOf(spec) {
  return spec.keyBytes ? new Uint8Array(spec.keyBytes) : spec.key;
}

/** `spec`: { op: 'get' | 'set' | 'delete' | 'decide', client: CacheClient options, ... }. */
export async function runCacheOp(playgate, spec) {
  const { CacheClient, EntitlementStore, Policy } = playgate;
  const started = Date.now();
  let client;
  try {
    client = new CacheClient(spec.client);
  } catch (error) {
    return failure(error, started);
  }
  try {
    switch (spec.op) {
      case 'get': {
        const bytes = await client.get(spec.cacheName, keyOf(spec), spec.options ?? {});
        return {
          ok: true,
          isUint8Array: bytes instanceof Uint8Array,
          length: bytes === null ? null : bytes.length,
          text: bytes === null ? null : new TextDecoder().decode(bytes.subarray(0, 4096)),
          ms: Date.now() - started,
        };
      }
      case 'set':
        await client.set(spec.cacheName, keyOf(spec), spec.value, { ttlSeconds: spec.ttlSeconds });
        return { ok: true, ms: Date.now() - started };
      case 'delete':
        await client.delete(spec.cacheName, keyOf(spec));
        return { ok: true, ms: Date.now() - started };
      case 'decide': {
        // `concurrent` decisions for the same user at once: one read should serve them all.
        const policy = spec.policy === undefined ? new Policy() : Policy.fromJson(spec.policy);
        const store = new EntitlementStore({ cache: client, cacheName: spec.cacheName, policy, ...(spec.store ?? {}) });
        const n = spec.concurrent ?? 1;
        const decisions = await Promise.all(Array.from({ length: n }, () => store.decide(spec.userKey, spec.request)));
        const stats = { ...store.stats };
        store.clear();
        policy.free();
        return { ok: true, decisions, stats, ms: Date.now() - started };
      }
      default:
        return { ok: false, code: 'UNKNOWN_OP', message: `op ${spec.op}` };
    }
  } catch (error) {
    return failure(error, started);
  }
}
