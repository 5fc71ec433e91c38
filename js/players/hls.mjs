// playgate/hls: `guardHls(hls, options)` makes an hls.js player enforce a playgate decision
// (issue 16). Plain JS over the player module (no second .wasm): the master playlist is capped
// with `filterManifest` inside hls.js's own playlist loader, before hls.js parses it, so no level
// above the cap exists for ABR, a manual `currentLevel`, or a master loaded again; every request
// (playlists and fragments) is checked against the scope and the cap before it leaves, and
// carries the playback token; the token is refreshed before it expires, without a reload.
// The players hls.js makes from the app's configuration (interstitial assets, I-frame players)
// are guarded as they are made.
// Owns the loaders it installs; the request check, log and token refresh are guard.mjs's, the
// rules playgate's.
//
// Why a loader and not MANIFEST_PARSED + removeLevel: a loader sees the master before hls.js
// does, on every load (loadSource again, a redundant-stream reload), and refuses a request
// before it is sent; level removal races hls.js's own start and never removes the last level.

import { filterManifest, qualityForSize } from 'playgate';
import { UNKNOWN_VIDEO, coded, guardCore } from './guard.mjs';

export { tokenExpiry } from './guard.mjs';

// hls.js's event for an interstitial's asset player, made before the player loads its asset.
const ASSET_PLAYER_CREATED = 'hlsInterstitialAssetPlayerCreated';
// hls.js's methods that build an I-frame player (hls.js 1.7), loading nothing before they return.
const IFRAME_PLAYER_MAKERS = ['createIFramePlayer', 'createImageIFramePlayer'];
const DESTROYING = 'hlsDestroying';

const isHls = (hls) => hls !== null && typeof hls === 'object' && hls.config !== null && typeof hls.config === 'object' && typeof hls.on === 'function';

/**
 * Guards an hls.js player (before `loadSource`): `{ requests, detach() }`. Options: `decision`
 * (policy.evaluate(...) or store.decide(...)), `token` (the playback token, sent as
 * `Authorization: Bearer`, or `?token=` with tokenIn: 'query'), `scope` (a PermissionScope:
 * keys outside it are refused before any request), `refresh` (async () => a new token, called
 * `refreshBeforeSeconds` (60) before the token's exp), `cacheName` ('media').
 * A denied decision, a refused request or a failed refresh is a fatal hls.js ERROR whose
 * `error.code` is the reason's code (the decision's for a denial), raised before any request.
 */
export function guardHls(hls, options) {
  if (!isHls(hls)) throw coded('INVALID_ARGUMENT', 'hls: expected an hls.js instance (new Hls(...))');
  const fail = fatalIn(hls);
  const core = guardCore(options, fail);
  const unguard = guardPlayer(hls, core, fail);
  if (!core.decision.allowed) {
    // Denied: nothing may load; the player hears why at once.
    queueMicrotask(() => fail(coded(core.decision.code ?? 'DENIED', `playgate denied playback: ${core.decision.code}`)));
  }
  core.start();
  return {
    requests: core.requests,
    detach() {
      core.stop();
      unguard();
    },
  };
}

/** A player's fatal error, raised once: it stops loading and hears why (a refusal's code). */
function fatalIn(hls) {
  const Hls = hls.constructor;
  let failed = false;
  return (error) => {
    if (failed) return;
    failed = true;
    hls.stopLoad();
    hls.trigger(Hls.Events.ERROR, { type: Hls.ErrorTypes.OTHER_ERROR, details: 'playgateRefused', fatal: true, error, reason: error.message });
  };
}

/**
 * A content steering manifest (its JSON, as hls.js reads it) whose pathway clones name no URIs of
 * their own: under a cap. A clone's level keeps its base level's size (RESOLUTION) whatever its
 * URI names, so a `PER-VARIANT-URIS` entry could put a 2160p playlist behind a 720p level;
 * `HOST` and `PARAMS` keep each URI's path.
 */
function withoutUriReplacements(data) {
  const clones = data?.['PATHWAY-CLONES'];
  if (!Array.isArray(clones)) return data;
  return {
    ...data,
    'PATHWAY-CLONES': clones.map((clone) => {
      const replacement = clone?.['URI-REPLACEMENT'];
      if (replacement === null || typeof replacement !== 'object') return clone;
      const { 'PER-VARIANT-URIS': variants, 'PER-RENDITION-URIS': renditions, ...rest } = replacement;
      return { ...clone, 'URI-REPLACEMENT': rest };
    }),
  };
}

/**
 * hls.js's `licenseXhrSetup` under the guard: a DRM licence request (EME) goes on hls.js's own
 * XMLHttpRequest, through no loader. It is held to the decision and carries the token, as a
 * key is (a licence proxy at the edge reads the playback token; a licence is no title file: no
 * scope or cap). The app's own hook runs first; the token goes where the URL the request is
 * opened with says, and never over an `Authorization` the app set itself.
 */
function guardedLicense(appSetup, core, fail) {
  const refusals = new WeakMap(); // hls.js calls the hook again after a throw: logged once
  return function playgateLicenseSetup(xhr, url, ...rest) {
    let error = refusals.get(xhr);
    const verdict = error === undefined ? core.checkAside() : null;
    if (error === undefined && !verdict.allowed) {
      core.log(url, verdict);
      error = coded(verdict.reason, `playgate refused the licence request ${url}: ${verdict.reason}`);
      refusals.set(xhr, error);
    }
    if (error !== undefined) {
      fail(error);
      throw error; // hls.js sends nothing and fails the key
    }
    const entry = core.log(url, verdict);
    xhr.addEventListener('loadend', () => { entry.status = xhr.status; }, { once: true });
    let opened = null;
    let ownAuthorization = false;
    const { open, setRequestHeader } = xhr;
    const own = Object.getOwnPropertyDescriptors(xhr);
    const restore = () => {
      for (const name of ['open', 'setRequestHeader']) {
        if (own[name]) Object.defineProperty(xhr, name, own[name]);
        else delete xhr[name];
      }
    };
    xhr.open = function guardedOpen(method, target, ...more) {
      opened = String(target);
      return open.call(this, method, core.withToken(opened), ...more);
    };
    xhr.setRequestHeader = function guardedHeader(name, value) {
      if (String(name).toLowerCase() === 'authorization') ownAuthorization = true;
      return setRequestHeader.call(this, name, value);
    };
    const done = (result) => {
      if (!xhr.readyState) xhr.open('POST', url, true); // as hls.js would, with the token
      restore();
      if (core.tokenIn === 'header' && !ownAuthorization && core.tokenGoesTo(opened ?? url)) setRequestHeader.call(xhr, 'Authorization', `Bearer ${core.token}`);
      return result;
    };
    if (typeof appSetup !== 'function') return done(undefined);
    return Promise.resolve(appSetup.call(this, xhr, url, ...rest)).then(done, (failure) => {
      restore();
      throw failure;
    });
  };
}

/**
 * Installs the guard's loaders on one hls.js player, and guards the players it makes beside it
 * (each failing on its own: a refused asset is an error of its asset player, which hls.js skips).
 * Returns what puts its loaders back, and those of the players it made that are still alive.
 */
function guardPlayer(hls, core, fail) {
  const saved = { loader: hls.config.loader, pLoader: hls.config.pLoader, fLoader: hls.config.fLoader };
  const Base = saved.loader;

  /**
   * The quality of what a loader context asks for: its level's size, when hls.js knows it;
   * UNKNOWN_VIDEO for a level (its playlist, its segments) of no known size that may be video
   * (no CODECS, as a media playlist loaded without its master, or a video codec); null for the
   * rest (the master, audio and subtitle tracks, an audio-only level).
   */
  function qualityOf(context) {
    const main = context.frag ? context.frag.type === 'main' : context.type === 'level';
    if (!main) return null;
    const index = context.frag ? context.frag.level : context.level;
    const level = typeof index === 'number' ? hls.levels?.[index] : undefined;
    // Both sides known, or none is: a width of 0 made any height SD (its shorter side).
    if (level && level.height > 0 && level.width > 0) return qualityForSize(level.width, level.height);
    return level?.audioCodec && !level.videoCodec ? null : UNKNOWN_VIDEO;
  }

  /**
   * A loader class over `Own` that checks each request before it is sent (`aside`: what is not
   * the title's media, held to the decision and the token only), refuses it with its code, or
   * sends it with the token; under a cap a master is capped before hls.js reads it.
   */
  const guarded = (Own, aside) => class GuardedLoader extends Own {
    load(context, config, callbacks) {
      this.playgateUrl = context.url; // as hls.js gave it: what each try is checked by
      this.playgateCallbacks = callbacks;
      if (!this.playgateCheck(context, callbacks)) return;
      // A loader that holds another (hls.js's CMCD wrappers keep theirs as `loader`): its retries
      // are that one's, checked the same way.
      const inner = this.loader;
      if (inner !== null && typeof inner === 'object' && typeof inner.loadInternal === 'function' && !inner.playgateHeld) {
        const outer = this;
        const own = inner.loadInternal;
        inner.playgateHeld = true;
        inner.loadInternal = function loadInternal() {
          if (outer.playgateAgain(this.context)) own.call(this);
        };
      }
      const capMaster = !aside && context.type === 'manifest' && core.cap !== null;
      const capSteering = aside && context.type === 'steering-manifest' && core.cap !== null;
      const { onSuccess, onError, onTimeout } = callbacks;
      const loader = this;
      super.load(context, config, {
        ...callbacks,
        onSuccess(response, stats, ctx, details) {
          loader.playgateEntry.status = response.code ?? 200;
          if (capMaster && typeof response.data === 'string' && response.data.includes('#EXT-X-STREAM-INF')) {
            try {
              response.data = filterManifest(response.data, { maxQuality: core.cap }).text;
            } catch (error) {
              fail(error);
              return;
            }
          }
          if (capSteering) response.data = withoutUriReplacements(response.data);
          onSuccess(response, stats, ctx, details);
        },
        onError(error, ctx, details, stats) {
          loader.playgateEntry.status = error?.code ?? 0;
          onError(error, ctx, details, stats);
        },
        onTimeout(stats, ctx, details) {
          loader.playgateEntry.status = 0;
          onTimeout?.(stats, ctx, details);
        },
      });
    }

    /**
     * Checks `context` (its URL as hls.js gave it: `playgateUrl`) and logs it; refused, reports
     * the refusal to `callbacks` and returns false; allowed, puts the token on it.
     */
    playgateCheck(context, callbacks) {
      const verdict = aside ? core.checkAside() : core.check(this.playgateUrl, qualityOf(context));
      this.playgateEntry = core.log(this.playgateUrl, verdict);
      if (!verdict.allowed) {
        // Refused before anything is sent: the error carries the code; hls.js does not retry a 403.
        const { stats } = this;
        queueMicrotask(() => {
          callbacks.onError({ code: 403, text: `playgate: ${verdict.reason}` }, context, null, stats);
          if (verdict.reason !== 'QUALITY_EXCEEDS_ENTITLEMENT') fail(coded(verdict.reason, `playgate refused ${this.playgateUrl}: ${verdict.reason}`));
        });
        return false;
      }
      // The token as it is now (a retry's replaces the one its first try carried).
      context.url = core.withToken(context.url);
      if (core.tokenIn === 'header' && core.tokenGoesTo(context.url)) context.headers = { ...context.headers, Authorization: `Bearer ${core.token}` };
      return true;
    }

    /**
     * hls.js's own loaders retry inside the loader (a master, a key, a steering manifest), after a
     * delay, without calling load again: each retry is checked again (the decision may have
     * ended), with the token as it is then.
     */
    loadInternal() {
      if (this.playgateAgain(this.context)) super.loadInternal();
    }

    /** Whether a try of this loader's request may go: the first was checked by load. */
    playgateAgain(context) {
      if (!this.playgateSent) {
        this.playgateSent = true;
        return true;
      }
      return this.playgateCheck(context, this.playgateCallbacks);
    }

    abort() {
      if (this.playgateEntry?.status === null) this.playgateEntry.status = 0; // no answer will come
      super.abort();
    }
  };

  // Playlists and fragments (the app's own loaders, if any, under the guard's); and what hls.js
  // loads with `loader` beside the title's media (keys, a steering manifest, an asset list),
  // often from another service: the decision and the token, not the scope or the cap.
  hls.config.pLoader = guarded(saved.pLoader ?? Base, false);
  hls.config.fLoader = guarded(saved.fLoader ?? Base, false);
  hls.config.loader = guarded(Base, true);
  saved.licenseXhrSetup = hls.config.licenseXhrSetup;
  hls.config.licenseXhrSetup = guardedLicense(saved.licenseXhrSetup, core, fail);
  const undo = [() => Object.assign(hls.config, saved)];

  // The players made beside this one, while alive (a long stream makes an asset player per ad).
  const children = new Set();
  const guardChild = (child) => {
    if (child === null || child === undefined) return; // hls.js made none
    // One the guard cannot reach (another hls.js's shape) would load unguarded: fail closed.
    if (!isHls(child)) {
      fail(coded('UNGUARDED_PLAYER', 'hls.js made a player (an asset or I-frame player) the guard cannot reach'));
      return;
    }
    const unguard = guardPlayer(child, core, fatalIn(child));
    children.add(unguard);
    child.once(DESTROYING, () => children.delete(unguard));
  };
  undo.push(() => {
    for (const unguard of children) unguard();
    children.clear();
  });

  // An interstitial's asset player: guarded as hls.js makes it, before it loads its asset.
  // (The event says a player was made: one not found in it is one the guard cannot reach.)
  // A payload that throws when read is one too: hls.js would log the throw and load on.
  const onAssetPlayer = (_, data) => {
    let child;
    try {
      child = data?.player?.hls ?? data?.player ?? false;
    } catch {
      child = false;
    }
    guardChild(child);
  };
  hls.on(ASSET_PLAYER_CREATED, onAssetPlayer);
  undo.push(() => hls.off(ASSET_PLAYER_CREATED, onAssetPlayer));

  // An I-frame player: guarded as it is returned, before it loads. hls.js makes it from the app's
  // own configuration (not the guard's loaders) and announces its playlist inside the call: one
  // asked to start loading at once (`autoStartLoad` in the override) is made without, and
  // started once guarded.
  for (const name of IFRAME_PLAYER_MAKERS) {
    const make = hls[name];
    if (typeof make !== 'function') continue;
    const own = Object.hasOwn(hls, name);
    hls[name] = function guardedMaker(override, ...rest) {
      let config = override;
      let start = null;
      if (override !== null && typeof override === 'object') {
        config = { ...override }; // read once
        if (config.autoStartLoad) start = config.startPosition ?? -1;
        config.autoStartLoad = false;
      }
      const child = make.call(this, config, ...rest);
      guardChild(child);
      if (start !== null && isHls(child)) child.startLoad(start);
      return child;
    };
    undo.push(() => {
      if (own) hls[name] = make;
      else delete hls[name];
    });
  }
  return () => {
    for (const step of undo.splice(0).reverse()) step();
  };
}
