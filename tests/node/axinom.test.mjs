// The Axinom DRM license service message through the edge module: the reference vector
// (docs/mosaic.md, computed with an independent JWT library) byte for byte, its signature
// verified by jose with the base64-decoded communication key, and the argument rules.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { createRequire } from 'node:module';
import { REPO, PKG } from './helpers.mjs';

const jose = await import(path.join(REPO, 'tests/node_modules/jose/dist/webapi/index.js'));
const edge = await import(path.join(PKG, 'edge/node/index.mjs'));
const edgeCjs = createRequire(import.meta.url)(path.join(PKG, 'edge/node/index.cjs'));
const player = await import(path.join(PKG, 'node/index.mjs'));

const VECTOR = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ2ZXJzaW9uIjoxLCJjb21fa2V5X2lkIjoiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAxIiwibWVzc2FnZSI6eyJ2ZXJzaW9uIjoyLCJ0eXBlIjoiZW50aXRsZW1lbnRfbWVzc2FnZSIsImxpY2Vuc2UiOnsiYWxsb3dfcGVyc2lzdGVuY2UiOmZhbHNlfSwiY29udGVudF9rZXlzX3NvdXJjZSI6eyJpbmxpbmUiOlt7ImlkIjoiNjg5NDVmYzEtMjMzNy00Njg1LThkYWMtMzFjYjgwOGRjNzQ3IiwidXNhZ2VfcG9saWN5IjoiUG9saWN5IEEifSx7ImlkIjoiODU2MzU4YmYtZjQ0Yi00ZjI2LWExOGUtZDQyN2VmNTBhY2MyIiwidXNhZ2VfcG9saWN5IjoiUG9saWN5IEEifV19LCJjb250ZW50X2tleV91c2FnZV9wb2xpY2llcyI6W3sibmFtZSI6IlBvbGljeSBBIiwiZmFpcnBsYXkiOnsiaGRjcCI6IlRZUEUwIn0sIndpZGV2aW5lIjp7ImRldmljZV9zZWN1cml0eV9sZXZlbCI6IlNXX1NFQ1VSRV9DUllQVE8iLCJkaXNhYmxlX2FuYWxvZ19vdXRwdXQiOmZhbHNlfSwicGxheXJlYWR5Ijp7Im1pbl9kZXZpY2Vfc2VjdXJpdHlfbGV2ZWwiOjIwMDB9fV19fQ.sy1L8tsLDonTA6mFT_xucDhQoyB9dRYL6-fbtzz_XUM';
const BASE = {
  keyIds: ['68945fc1-2337-4685-8dac-31cb808dc747', '856358bf-f44b-4f26-a18e-d427ef50acc2'],
  comKeyId: '00000000-0000-0000-0000-000000000001',
  comKey: 'secret_key',
  policy: 'DEFAULT',
  allowPersistence: false,
};
// secret_key: base64url-shaped, unpadded, non-zero trailing bits: the bytes b1e72b7adfe47b.
const KEY = Uint8Array.from(Buffer.from('b1e72b7adfe47b', 'hex'));

async function payloadOf(jwt) {
  const { payload, protectedHeader } = await jose.jwtVerify(jwt, KEY, { algorithms: ['HS256'] });
  assert.deepEqual(protectedHeader, { alg: 'HS256', typ: 'JWT' });
  return payload;
}

test('the reference vector, byte for byte, from ESM and CommonJS; jose verifies it', async () => {
  assert.equal(edge.axinomLicenseMessage(BASE), VECTOR);
  assert.equal(edgeCjs.axinomLicenseMessage(BASE), VECTOR);
  // The same key in base64 with padding, and in standard base64: the same bytes.
  assert.equal(edge.axinomLicenseMessage({ ...BASE, comKey: Buffer.from(KEY).toString('base64') }), VECTOR);
  assert.equal(edge.axinomLicenseMessage({ ...BASE, comKey: Buffer.from(KEY).toString('base64url') }), VECTOR);
  const payload = await payloadOf(VECTOR);
  assert.equal(payload.message.license.allow_persistence, false);
  assert.equal('axinomLicenseMessage' in player, false, 'the communication key never ships in the player module');
});

test('key ids trimmed and de-duplicated ignoring case, the first spelling kept, in order', async () => {
  const jwt = edge.axinomLicenseMessage({
    ...BASE,
    keyIds: [' 856358BF-F44B-4F26-A18E-D427EF50ACC2 ', '68945fc1-2337-4685-8dac-31cb808dc747', '856358bf-f44b-4f26-a18e-d427ef50acc2'],
  });
  const inline = (await payloadOf(jwt)).message.content_keys_source.inline;
  assert.deepEqual(inline.map((k) => k.id), ['856358BF-F44B-4F26-A18E-D427EF50ACC2', '68945fc1-2337-4685-8dac-31cb808dc747']);
  assert.ok(inline.every((k) => k.usage_policy === 'Policy A'));
});

test('presets, persistence from the decision, and the expiry as an ISO 8601 UTC date', async () => {
  const expiresAt = Date.parse('2026-12-05T12:34:56.789Z');
  for (const [policy, check] of [
    ['DEFAULT', (p) => p.fairplay.hdcp === 'TYPE0' && p.playready.min_device_security_level === 2000 && p.widevine.disable_analog_output === false],
    ['DEV', (p) => p.fairplay.hdcp === 'NONE' && p.playready.min_device_security_level === 150 && p.playready.play_enablers[0] === '786627D8-C2A6-44BE-8F88-08AE255B01A7'],
    ['STRICT', (p) => p.fairplay.hdcp === 'TYPE1_STRICT' && p.widevine.hdcp === '1.0' && p.widevine.disable_analog_output === true
      && p.playready.uncompressed_digital_video_opl === 300 && p.playready.analog_video_opl === 201],
  ]) {
    const payload = await payloadOf(edge.axinomLicenseMessage({ ...BASE, policy, allowPersistence: true, expiresAt }));
    const [usage] = payload.message.content_key_usage_policies;
    assert.equal(usage.name, 'Policy A');
    assert.ok(check(usage), `${policy}: ${JSON.stringify(usage)}`);
    assert.equal(payload.message.license.allow_persistence, true);
    assert.equal(payload.expiration_date, new Date(expiresAt).toISOString());
    assert.equal(payload.version, 1);
    assert.equal(payload.message.type, 'entitlement_message');
  }
  // A Date works too; without policy and allowPersistence: DEFAULT and no persistence.
  const { keyIds, comKeyId, comKey } = BASE;
  const payload = await payloadOf(edge.axinomLicenseMessage({ keyIds, comKeyId, comKey, expiresAt: new Date(expiresAt) }));
  assert.equal(payload.expiration_date, '2026-12-05T12:34:56.789Z');
  assert.equal(payload.message.license.allow_persistence, false);
  assert.equal(payload.message.content_key_usage_policies[0].fairplay.hdcp, 'TYPE0');
});

test('bad arguments are coded errors, never a default', () => {
  for (const [options, code] of [
    [{ ...BASE, keyIds: [] }, 'INVALID_ARGUMENT'],
    [{ ...BASE, keyIds: ['  '] }, 'INVALID_ARGUMENT'],
    [{ ...BASE, keyIds: ['a', ''] }, 'INVALID_ARGUMENT'],
    [{ ...BASE, keyIds: 'a' }, 'INVALID_ARGUMENT'],
    [{ ...BASE, keyIds: [1] }, 'INVALID_ARGUMENT'],
    [{ ...BASE, comKeyId: '' }, 'INVALID_ARGUMENT'],
    [{ ...BASE, comKeyId: undefined }, 'INVALID_ARGUMENT'],
    [{ ...BASE, policy: 'default' }, 'INVALID_ARGUMENT'],
    [{ ...BASE, policy: 'LAX' }, 'INVALID_ARGUMENT'],
    [{ ...BASE, allowPersistence: 'yes' }, 'INVALID_ARGUMENT'],
    [{ ...BASE, expiresAt: NaN }, 'INVALID_ARGUMENT'],
    [{ ...BASE, expiresAt: new Date(NaN) }, 'INVALID_ARGUMENT'],
    [{ ...BASE, expiresAt: '2026-12-05' }, 'INVALID_ARGUMENT'],
    [{ ...BASE, expiresAt: 8.64e15 }, 'INVALID_ARGUMENT'],
    // A misspelt option would sign a message that never expires, or under DEFAULT.
    [{ ...BASE, expiration: Date.now() + 60_000 }, 'INVALID_ARGUMENT'],
    [{ ...BASE, polcy: 'STRICT' }, 'INVALID_ARGUMENT'],
    // Text UTF-8 cannot carry (two ids one), and more keys than a title has (the pairwise de-duplication).
    [{ ...BASE, keyIds: ['k\ud800', 'k\udbff'] }, 'INVALID_ARGUMENT'],
    [{ ...BASE, comKeyId: 'c\ud800' }, 'INVALID_ARGUMENT'],
    [{ ...BASE, keyIds: Array.from({ length: 1025 }, (_, i) => `key-${i}`) }, 'INVALID_ARGUMENT'],
    [{ ...BASE, comKey: '' }, 'INVALID_KEY'],
    [{ ...BASE, comKey: 'not base64!' }, 'INVALID_KEY'],
    [{ ...BASE, comKey: 7 }, 'INVALID_KEY'],
    [null, 'INVALID_ARGUMENT'],
    [undefined, 'INVALID_ARGUMENT'],
  ]) {
    assert.throws(() => edge.axinomLicenseMessage(options), (e) => e.code === code, JSON.stringify(options));
  }
});
