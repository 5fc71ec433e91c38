// The gate's origin deadlines (js/gate.mjs): how long the origin has to answer a request
// (timeoutMs). In Node and Deno a timer per request (Deadline); in workerd one list and one timer
// for every request of a gate (DueList, DueDeadline), which costs less there (measured, below).

// In workerd `request.signal` costs about 12 us a request (measured) and the client's going away
// does not end a request's subrequests (measured: the origin's request stays open): not read
// there, and the gate's deadline (DueList) is the one bound on a hung origin.
// (Read by calls marked pure: an app without the gate leaves them out.)
export const WORKERD = /* @__PURE__ */ isWorkerd();
// One timer for every request's deadline (DueList) answers a request from another request's
// context: workerd runs that continuation in the right request only with this flag (compatibility
// date 2024-10-14 or later; a worker without it never saw the answer, tested). Without it, and
// on a workerd too old to say, a deadline is an AbortSignal.timeout per request.
export const SHARED_DEADLINES = /* @__PURE__ */ crossRequestResolution();

function isWorkerd() {
  return globalThis.navigator?.userAgent === 'Cloudflare-Workers';
}

function crossRequestResolution() {
  return WORKERD && globalThis.Cloudflare?.compatibilityFlags?.handle_cross_request_promise_resolution === true;
}

// What a deadline's race answers when the time is up first.
export const TIMED_OUT = Symbol('timed out');

/** One request's origin deadline: one timer, started on first use, raced by each origin step. */
export class Deadline {
  constructor(ms) {
    this.ms = ms;
    this.timer = null;
    this.expired = null;
  }

  /** `promise`'s value, or TIMED_OUT if the deadline comes first. */
  race(promise) {
    if (this.ms === null) return promise;
    if (this.expired === null) {
      this.expired = new Promise((resolve) => {
        this.timer = setTimeout(resolve, this.ms, TIMED_OUT);
      });
    }
    return Promise.race([promise, this.expired]);
  }

  clear() {
    if (this.timer !== null) clearTimeout(this.timer);
  }
}

/**
 * workerd: the origin deadlines of one gate's requests, in arrival order, checked as requests
 * arrive and by one timer for all of them. A timer per request cost 4-8 us a request alone and
 * 13-16 us proxying in workerd (measured); this costs a promise and a push. The timer (the
 * watch) runs in the request that started it, kept alive by its ctx.waitUntil, and sleeps until
 * the oldest open deadline; it stops when none is open. A request whose deadline passes is
 * answered TIMED_OUT across requests (workerd runs the continuation in the request that made the
 * promise); its context then ends, and the origin request with it. If the platform ends the
 * watch (a request without ctx, waitUntil's limit), the next request starts another.
 */
export class DueList {
  constructor(ms) {
    this.ms = ms;
    this.items = []; // DueDeadline, by `at`; settled ones are dropped from the front
    this.head = 0;
    this.watch = null; // { wakeAt } of the running watch
  }

  /**
   * A deadline from `at` (now, epoch ms) for one request (`ctx`: its ExecutionContext, for the
   * watch). The gate passes the time it read for the request: Date.now is a call into workerd
   * (0.25 us, perf), and workerd's clock stands still while a request's code runs.
   */
  start(ctx, at = Date.now()) {
    this.sweep(at);
    const deadline = new DueDeadline(this, at);
    this.items.push(deadline);
    if (this.watch === null || at > this.watch.wakeAt + WATCH_GRACE_MS) {
      // The request that runs the watch lives on in its waitUntil while other deadlines are
      // open: its own origin request is aborted at its deadline, not left to its context's end.
      deadline.controller = new AbortController();
      this.watchFrom(ctx);
    }
    return deadline;
  }

  /** Answers TIMED_OUT to every open deadline passed at `at`; drops the settled from the front. */
  sweep(at) {
    const { items, ms } = this;
    while (this.head < items.length) {
      const d = items[this.head];
      if (d.open) {
        if (at < d.at + ms) break;
        d.expire();
      }
      d.queued = false;
      items[this.head++] = undefined;
    }
    if (this.head === items.length) {
      if (this.head !== 0) {
        this.items = []; // not `items.length = 0`: a runtime call (perf)
        this.head = 0;
      }
    } else if (this.head >= 1024 && this.head * 2 >= items.length) {
      items.splice(0, this.head);
      this.head = 0;
    }
  }

  /** The watch: wakes at the oldest open deadline, sweeps, sleeps again; ends when none is open. */
  watchFrom(ctx) {
    const watch = { wakeAt: Infinity };
    this.watch = watch;
    const run = async () => {
      while (this.watch === watch) {
        const now = Date.now();
        this.sweep(now);
        if (this.head === this.items.length) {
          this.watch = null;
          return;
        }
        watch.wakeAt = this.items[this.head].at + this.ms;
        await new Promise((resolve) => { setTimeout(resolve, Math.max(0, watch.wakeAt - now)); });
      }
    };
    const running = run();
    if (ctx !== null && typeof ctx === 'object' && typeof ctx.waitUntil === 'function') ctx.waitUntil(running);
  }
}

// How late a watch may wake before the next request presumes it ended and starts another.
const WATCH_GRACE_MS = 1000;

/** One request's deadline in a DueList: open while an origin step races it. */
export class DueDeadline {
  constructor(list, at) {
    this.list = list;
    this.at = at;
    this.open = true; // from its start to its first race's end, and during each race
    this.queued = true;
    this.expired = false;
    this.fire = null; // the running race's resolver
    this.controller = null; // the watch's request only: aborts its origin request at its deadline
  }

  /** `promise`'s value, or TIMED_OUT if the deadline passes first (a playlist's body read). */
  race(promise) {
    return this.settle(promise, (value) => value, (error) => { throw error; });
  }

  /**
   * One promise of `then(promise's value)` (or of `otherwise(its error)`), or of TIMED_OUT if the
   * deadline passes first (the caller's last step answers it: it may come from another request,
   * and the answer is made in the continuation, in this request). A late value's body is
   * cancelled. The first origin step's form of race: two promises fewer a request than a race
   * and a `then` (1.5 us, measured).
   */
  settle(promise, then, otherwise) {
    if (this.expired) return Promise.resolve(TIMED_OUT);
    if (!this.queued) {
      // Dropped while no race ran (a playlist's body read comes after its headers): back in.
      this.queued = true;
      this.list.items.push(this);
    }
    this.open = true;
    return new Promise((resolve, reject) => {
      this.fire = resolve;
      const done = (step, value) => {
        if (this.fire !== resolve) return false;
        this.fire = null;
        this.open = false;
        try {
          resolve(step(value));
        } catch (error) {
          reject(error);
        }
        return true;
      };
      Promise.resolve(promise).then((value) => {
        if (!done(then, value)) (value?.response ?? value)?.body?.cancel?.()?.catch?.(() => {});
      }, (error) => done(otherwise, error));
    });
  }

  expire() {
    this.open = false;
    this.expired = true;
    const fire = this.fire;
    this.fire = null;
    if (fire !== null) fire(TIMED_OUT);
  }

  clear() {
    this.open = false;
    this.fire = null;
  }
}

/** timeoutMs null: no deadline of the gate's own. */
export const NO_DEADLINE = /* @__PURE__ */ Object.freeze({ race: (promise) => promise, clear() {} });
