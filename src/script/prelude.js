// The API a Sockscope script sees (issue 22), run once before the user's script.
// It talks to the host only through the functions of `__host`, which it takes out of the
// global object so the user's script cannot call them.
(function (g) {
  "use strict";
  const H = g.__host;
  delete g.__host;

  // ---- Formatting -------------------------------------------------------------------
  function show(value) {
    if (typeof value === "string") return JSON.stringify(value);
    if (value === undefined) return "undefined";
    if (typeof value === "function") return "[function]";
    if (value instanceof RegExp) return String(value);
    if (typeof value === "bigint") return String(value) + "n";
    try {
      const text = JSON.stringify(value);
      return text === undefined ? String(value) : text;
    } catch (_) {
      return String(value);
    }
  }
  function logText(value) {
    return typeof value === "string" ? value : show(value);
  }
  function errorText(error) {
    if (error instanceof Error) {
      return error.name === "AssertionError" ? error.message : error.name + ": " + error.message;
    }
    return "thrown: " + show(error);
  }

  // ---- Messages -----------------------------------------------------------------------
  const NONE = {};
  // A message's own properties are its `text` and `time`; `dir` and `type` come from one of
  // four prototypes (one per direction and type, see `KINDS`), everything else from this
  // class's prototype until first read. Each own property costs QuickJS a shape step and
  // sometimes a reallocation per message: two fit the object's first allocation.
  class Message {
    get decoded() {
      if (typeof this._decoded === "string") this._decoded = { v: parseOrUndefined(this._decoded) };
      return this._decoded === undefined ? undefined : this._decoded.v;
    }
    get protocol() {
      if (typeof this._protocol === "string") this._protocol = { v: parseOrUndefined(this._protocol) };
      return this._protocol === undefined ? undefined : this._protocol.v;
    }
    get json() {
      if (this._json === NONE) {
        this._json = undefined;
        if (this.text !== undefined) {
          try {
            this._json = JSON.parse(this.text);
          } catch (_) {}
        }
      }
      return this._json;
    }
    get bytes() {
      if (this._bin === undefined) this._bin = H.utf8(this.text);
      return this._bin;
    }
    toJSON() {
      return { dir: this.dir, type: this.type, text: this.text, time: this.time };
    }
  }
  Message.prototype._bin = undefined;
  Message.prototype._json = NONE;
  Message.prototype._decoded = undefined;
  Message.prototype._protocol = undefined;

  // The constructor of a message of each kind, by its flags: bit 0 outgoing, bit 1 binary.
  // `dir` and `type` are plain writable data on its prototype: read, enumerated by `for in`
  // and overwritten (on the message itself) like the message's own fields.
  const shapeKeepers = [];
  const KINDS = [
    ["in", "text"],
    ["out", "text"],
    ["in", "binary"],
    ["out", "binary"],
  ].map(([dir, type]) => {
    function Kind(text, time) {
      this.text = text;
      this.time = time;
    }
    const field = (value) => ({ value, writable: true, enumerable: true, configurable: true });
    Kind.prototype = Object.create(Message.prototype, { dir: field(dir), type: field(type) });
    // QuickJS frees a shape with the last object that has it: these keep the shapes a
    // message goes through while it is built, so each new one finds them made.
    const empty = Object.create(Kind.prototype);
    const halfway = Object.create(Kind.prototype);
    halfway.text = undefined;
    shapeKeepers.push(empty, halfway, new Kind(undefined, 0));
    return Kind;
  });

  // A message: `bin` (bytes), `decoded` and `protocol` (JSON text until read) are set only
  // when it has them (most are text, without decoding or a protocol).
  function newMessage(flags, text, bin, time, decoded, protocol) {
    const msg = new KINDS[flags](text, time);
    if (bin !== undefined) msg._bin = bin;
    if (decoded !== undefined) msg._decoded = decoded;
    if (protocol !== undefined) msg._protocol = protocol;
    return msg;
  }

  function parseOrUndefined(text) {
    try {
      return JSON.parse(text);
    } catch (_) {
      return undefined;
    }
  }

  // What to send, from what a script gives: [kind, value] with kind "t" (text), "b" (bytes).
  function outgoing(value) {
    if (typeof value === "string") return ["t", value];
    if (value instanceof Message) return value.type === "text" ? ["t", value.text] : ["b", value.bytes];
    if (value instanceof Uint8Array) return ["b", value];
    if (value instanceof ArrayBuffer) return ["b", new Uint8Array(value)];
    if (ArrayBuffer.isView(value)) {
      return ["b", new Uint8Array(value.buffer, value.byteOffset, value.byteLength)];
    }
    if (value !== null && typeof value === "object") return ["t", JSON.stringify(value)];
    if (value === undefined) throw new TypeError("ws.send: nothing to send (undefined)");
    return ["t", String(value)];
  }
  // Bytes as a string of code points 0-255, the form the host reads them in.
  function latin1(bytes) {
    let text = "";
    for (let i = 0; i < bytes.length; i += 8192) {
      text += String.fromCharCode.apply(null, bytes.subarray(i, i + 8192));
    }
    return text;
  }
  function send(value) {
    const [kind, data] = outgoing(value);
    if (kind === "t") H.sendText(data);
    else H.sendBytes(latin1(data));
  }

  // ---- Timers -------------------------------------------------------------------------
  const timers = new Map();
  let nextTimer = 1;
  let earliest = Infinity;
  function schedule(at) {
    if (at < earliest) {
      earliest = at;
      H.deadline(at);
    }
  }
  function addTimer(fn, ms, args, repeat) {
    if (typeof fn !== "function") throw new TypeError("a timer needs a function");
    const delay = Math.max(0, Number(ms) || 0);
    const id = nextTimer++;
    const at = H.now() + delay;
    timers.set(id, { at, fn, args, every: repeat ? Math.max(1, delay) : 0 });
    schedule(at);
    return id;
  }
  g.setTimeout = (fn, ms, ...args) => addTimer(fn, ms, args, false);
  g.setInterval = (fn, ms, ...args) => addTimer(fn, ms, args, true);
  g.clearTimeout = (id) => void timers.delete(id);
  g.clearInterval = g.clearTimeout;

  // Runs the timers due at `now`; returns the next deadline, or -1 without one.
  function runTimers(now) {
    const due = [];
    for (const [id, timer] of timers) if (timer.at <= now) due.push([id, timer]);
    due.sort((a, b) => a[1].at - b[1].at || a[0] - b[0]);
    let failure;
    for (const [id, timer] of due) {
      if (!timers.has(id)) continue;
      if (timer.every > 0) timer.at = Math.max(timer.at + timer.every, now);
      else timers.delete(id);
      try {
        timer.fn(...timer.args);
      } catch (error) {
        if (failure === undefined) failure = error;
      }
    }
    earliest = Infinity;
    for (const timer of timers.values()) if (timer.at < earliest) earliest = timer.at;
    H.deadline(earliest === Infinity ? -1 : earliest);
    if (failure !== undefined) throw failure;
  }

  // ---- waitFor ------------------------------------------------------------------------
  const waiters = [];
  g.waitFor = function waitFor(predicate, timeoutMs) {
    if (typeof predicate !== "function") throw new TypeError("waitFor: the predicate must be a function");
    const ms = timeoutMs === undefined ? 5000 : Math.max(0, Number(timeoutMs) || 0);
    return new Promise((resolve, reject) => {
      const waiter = { predicate, resolve, reject, timer: 0 };
      waiter.timer = addTimer(() => {
        const at = waiters.indexOf(waiter);
        if (at >= 0) waiters.splice(at, 1);
        reject(new Error("waitFor: no message matched within " + ms + " ms"));
      }, ms, [], false);
      waiters.push(waiter);
    });
  };
  // `seq`: the message's, for the test a waiter decides.
  function offerToWaiters(msg, seq) {
    for (const waiter of waiters.slice()) {
      let matched;
      try {
        matched = waiter.predicate(msg);
      } catch (error) {
        matched = error;
        waiters.splice(waiters.indexOf(waiter), 1);
        timers.delete(waiter.timer);
        waiter.reject(error);
        continue;
      }
      if (matched) {
        waiters.splice(waiters.indexOf(waiter), 1);
        timers.delete(waiter.timer);
        decidedBy = seq;
        waiter.resolve(msg);
      }
    }
  }

  // ---- Tests --------------------------------------------------------------------------
  class AssertionError extends Error {}
  AssertionError.prototype.name = "AssertionError";
  let lastSeq = -1;
  let decidedBy = -1;
  const running = new Map();
  let nextTest = 1;

  g.test = function test(name, fn) {
    const title = String(name);
    if (typeof fn !== "function") throw new TypeError("test(" + show(title) + "): needs a function");
    const start = H.now();
    const id = nextTest++;
    const report = (passed, message) => {
      if (!running.delete(id)) return;
      const seq = decidedBy >= 0 ? decidedBy : lastSeq;
      H.test(title, passed, message, H.now() - start, seq);
    };
    running.set(id, title);
    decidedBy = -1;
    let result;
    try {
      result = fn();
    } catch (error) {
      report(false, errorText(error));
      return;
    }
    if (result !== null && typeof result === "object" && typeof result.then === "function") {
      result.then(() => report(true, null), (error) => report(false, errorText(error)));
    } else {
      report(true, null);
    }
  };

  function deepEqual(a, b) {
    if (Object.is(a, b)) return true;
    if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
      if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.length !== b.length) return false;
      for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
      return true;
    }
    if (a instanceof Message) a = a.toJSON();
    if (b instanceof Message) b = b.toJSON();
    const keysA = Object.keys(a).filter((k) => a[k] !== undefined);
    const keysB = Object.keys(b).filter((k) => b[k] !== undefined);
    if (keysA.length !== keysB.length) return false;
    for (const key of keysA) {
      if (!Object.prototype.hasOwnProperty.call(b, key) || !deepEqual(a[key], b[key])) return false;
    }
    return true;
  }

  function contains(haystack, needle) {
    if (typeof haystack === "string") return haystack.includes(String(needle));
    if (haystack === null || haystack === undefined || typeof haystack[Symbol.iterator] !== "function") {
      return false;
    }
    for (const item of haystack) if (deepEqual(item, needle)) return true;
    return false;
  }

  function matchers(actual, negated) {
    const check = (ok, what) => {
      if (Boolean(ok) === negated) {
        throw new AssertionError("expected " + show(actual) + (negated ? " not " : " ") + what);
      }
    };
    const m = {
      toBe: (expected) => check(Object.is(actual, expected), "to be " + show(expected)),
      toEqual: (expected) => check(deepEqual(actual, expected), "to equal " + show(expected)),
      toMatch: (pattern) => {
        const regex = pattern instanceof RegExp ? pattern : new RegExp(String(pattern));
        check(typeof actual === "string" && regex.test(actual), "to match " + String(regex));
      },
      toContain: (item) => check(contains(actual, item), "to contain " + show(item)),
      toBeGreaterThan: (n) => check(actual > n, "to be greater than " + show(n)),
      toBeLessThan: (n) => check(actual < n, "to be less than " + show(n)),
      toBeTruthy: () => check(actual, "to be truthy"),
    };
    if (!negated) m.not = matchers(actual, true);
    return Object.freeze(m);
  }
  g.expect = (actual) => matchers(actual, false);

  // ---- ws, vars, env, log -------------------------------------------------------------
  g.ws = Object.freeze({
    send,
    close: (code, reason) => H.close(code === undefined ? 1000 : Number(code), reason === undefined ? "" : String(reason)),
  });
  g.vars = Object.freeze({
    get: (name) => H.varGet(String(name)),
    set: (name, value) => H.varSet(String(name), typeof value === "string" ? value : show(value)),
  });
  g.env = Object.freeze({ get: (name) => H.env(String(name)) });
  g.log = (...values) => H.log(values.map(logText).join(" "));
  g.console = Object.freeze({ log: g.log, info: g.log, warn: g.log, error: g.log });

  // ---- What the host calls --------------------------------------------------------------
  const hook = (name) => (typeof g[name] === "function" ? g[name] : undefined);
  // The batch of messages being handed over (see src/script/batch.rs): message i has
  // flags[i] (bit 0: outgoing, bit 1: binary), times[i], seqs[i] and texts[i] (undefined
  // when binary); extras (undefined when no message of the batch has any) has its bytes,
  // decoded and protocol (JSON text) at 3i, 3i + 1 and 3i + 2.
  let batchFlags;
  let batchTimes;
  let batchSeqs;
  let batchTexts;
  let batchExtras;
  // Each message in turn: `onMessage(msg)`, then the `waitFor`s. Hot: one pass per message
  // at up to millions a second, so it reads the hook straight off the global object and
  // builds `msg` with as few property writes as it has fields.
  function runBatch(from) {
    const flags = batchFlags;
    const times = batchTimes;
    const seqs = batchSeqs;
    const texts = batchTexts;
    const extras = batchExtras;
    // No batch (handing it over failed before it got here): nothing to go on with.
    if (texts === undefined) return;
    const count = texts.length;
    for (let i = from; i < count; i++) {
      // Between two messages: the last one's promise jobs, and a time limit anew.
      if (i !== from) H.next();
      const seq = seqs[i];
      lastSeq = seq;
      const onMessage = g.onMessage;
      const hooked = typeof onMessage === "function";
      if (!hooked && waiters.length === 0) continue;
      const msg =
        extras === undefined
          ? new KINDS[flags[i]](texts[i], times[i])
          : newMessage(flags[i], texts[i], extras[3 * i], times[i], extras[3 * i + 1], extras[3 * i + 2]);
      try {
        if (hooked) onMessage(msg);
      } finally {
        if (waiters.length > 0) offerToWaiters(msg, seq);
      }
    }
    batchFlags = batchTimes = batchSeqs = batchTexts = batchExtras = undefined;
  }

  const hostSide = {
    // A batch of messages, each through `message` in turn; an exception out of one ends
    // the call, and the host goes on with `resume` from the next.
    messages(flags, times, seqs, texts, extras) {
      batchFlags = flags;
      batchTimes = times;
      batchSeqs = seqs;
      batchTexts = texts;
      batchExtras = extras;
      runBatch(0);
    },
    resume: runBatch,
    open(status, headers, subprotocol) {
      const onOpen = hook("onOpen");
      if (onOpen !== undefined) onOpen({ status, headers, subprotocol: subprotocol ?? null });
    },
    close(code, reason, wasClean, initiator) {
      const onClose = hook("onClose");
      if (onClose !== undefined) onClose({ code, reason, wasClean, initiator });
    },
    // [kind, value]: "keep", "cancel", or what to send instead ("t"/"b").
    beforeSend(type, text, bin) {
      const beforeSend = hook("beforeSend");
      if (beforeSend === undefined) return ["keep", null];
      const msg = newMessage(type === "binary" ? 3 : 1, text, bin, H.now(), undefined, undefined);
      const answer = beforeSend(msg);
      if (answer === false) return ["cancel", null];
      if (answer === undefined || answer === true || answer === msg) return ["keep", null];
      const [kind, data] = outgoing(answer);
      return [kind, kind === "b" ? latin1(data) : data];
    },
    timers: runTimers,
    // The run is over: waiters fail now, and tests still running are reported by `leftover`.
    end() {
      for (const waiter of waiters.splice(0)) {
        timers.delete(waiter.timer);
        waiter.reject(new Error("waitFor: the connection ended before a message matched"));
      }
    },
    leftover() {
      for (const [id, title] of running) {
        running.delete(id);
        H.test(title, false, "did not finish before the run ended", 0, lastSeq);
      }
    },
    pending: () => running.size,
  };
  Object.defineProperty(g, "__sockscope", { value: Object.freeze(hostSide) });
})(globalThis);
