/**
 * The JavaScript that runs inside every isolate before the plugin's bundle. It turns the host
 * callbacks into plain functions kept in a closure (strict mode, so stack-trace tricks cannot reach
 * them), removes them from the global object, and defines the entry points the sandbox process
 * calls. Everything crossing the boundary is a string or a number: the plugin never holds an
 * isolated-vm object.
 */
export const BOOTSTRAP_SOURCE = `'use strict';
(function bootstrap(global) {
  const send = global.__weftSend;
  const sendLog = global.__weftLog;
  const done = global.__weftDone;
  delete global.__weftSend;
  delete global.__weftLog;
  delete global.__weftDone;
  const stringify = JSON.stringify;
  const parse = JSON.parse;
  const freeze = Object.freeze;
  const PromiseCtor = Promise;
  const ErrorCtor = Error;
  const MapCtor = Map;
  const StringCtor = String;
  const apply = Reflect.apply;
  const construct = Reflect.construct;
  const getOwnDescriptor = Object.getOwnPropertyDescriptor;
  const getPrototypeOf = Object.getPrototypeOf;
  // Every Proxy the plugin makes is remembered (the constructor is replaced before the plugin runs),
  // so describing an error never touches one: see describeCause.
  const proxies = new WeakSet();
  const weakHas = WeakSet.prototype.has;
  const weakAdd = WeakSet.prototype.add;
  const ProxyCtor = Proxy;
  const revocable = Proxy.revocable;
  global.Proxy = new ProxyCtor(ProxyCtor, {
    construct: function (target, args, newTarget) {
      const made = construct(target, args, newTarget);
      apply(weakAdd, proxies, [made]);
      return made;
    },
  });
  global.Proxy.revocable = function (target, handler) {
    const made = revocable(target, handler);
    apply(weakAdd, proxies, [made.proxy]);
    return made;
  };
  // Dictionaries without a prototype and a plain counter: a plugin patching Map.prototype or
  // Object.prototype cannot fake the answers to its requests or the count of them still pending.
  const pending = Object.create(null);
  const signals = Object.create(null);
  let outstanding = 0;
  let nextRequest = 0;

  function hostCall(callId, name, args) {
    return new PromiseCtor(function (resolve, reject) {
      let json;
      try {
        json = stringify(args === undefined ? null : args);
      } catch (error) {
        reject(new ErrorCtor('arguments of ' + name + ' must be JSON-serializable'));
        return;
      }
      const id = ++nextRequest;
      pending[id] = { resolve: resolve, reject: reject };
      outstanding++;
      send(id, callId, name, json === undefined ? 'null' : json);
    });
  }

  function settle(id, ok, payload) {
    const entry = pending[id];
    if (entry === undefined) return;
    delete pending[id];
    outstanding--;
    if (ok) {
      entry.resolve(payload === '' ? undefined : parse(payload));
    } else {
      const info = parse(payload);
      const error = new ErrorCtor(info.message);
      error.name = info.code === 'CAPABILITY_DENIED' ? 'CapabilityDeniedError' : 'CapabilityError';
      error.code = info.code;
      entry.reject(error);
    }
  }

  function makeSignal(callId) {
    const listeners = [];
    const signal = {
      aborted: false,
      reason: undefined,
      addEventListener: function (type, fn) { if (type === 'abort' && typeof fn === 'function') listeners.push(fn); },
      removeEventListener: function (type, fn) { const i = listeners.indexOf(fn); if (i >= 0) listeners.splice(i, 1); },
      throwIfAborted: function () {
        if (signal.aborted) { const e = new ErrorCtor(signal.reason || 'cancelled'); e.name = 'AbortError'; throw e; }
      },
    };
    signals[callId] = function (reason) {
      if (signal.aborted) return;
      signal.aborted = true;
      signal.reason = reason;
      for (const fn of listeners.slice()) { try { fn(); } catch (e) { /* a listener's failure is the plugin's */ } }
    };
    return signal;
  }

  function makeResponse(r) {
    return freeze({
      status: r.status, statusText: r.statusText, ok: r.status >= 200 && r.status < 300, url: r.url,
      headers: freeze(r.headers),
      text: function () { return PromiseCtor.resolve(r.body); },
      json: function () { return PromiseCtor.resolve().then(function () { return parse(r.body); }); },
    });
  }

  function makeContext(callId, run) {
    const call = function (name, args) { return hostCall(callId, name, args); };
    return freeze({
      run: freeze(run),
      fetch: function (url, init) {
        return call('fetch', { url: StringCtor(url), init: init === undefined ? {} : init }).then(makeResponse);
      },
      secrets: freeze({ get: function (name) { return call('secrets.get', { name: StringCtor(name) }); } }),
      kv: freeze({
        get: function (key) { return call('kv.get', { key: StringCtor(key) }); },
        set: function (key, value) { return call('kv.set', { key: StringCtor(key), value: value }).then(function () {}); },
        delete: function (key) { return call('kv.delete', { key: StringCtor(key) }); },
      }),
      context: freeze({
        get: function (key) { return call('context.get', { key: StringCtor(key) }); },
        set: function (key, value) { return call('context.set', { key: StringCtor(key), value: value }).then(function () {}); },
      }),
      llm: freeze({ complete: function (request) { return call('llm.complete', request); } }),
      log: function (level, message, data) {
        let json = null;
        try { json = data === undefined ? null : stringify(data); } catch (e) { json = null; }
        sendLog(callId, StringCtor(level), StringCtor(message).slice(0, 4000), json === undefined ? null : json);
      },
      signal: makeSignal(callId),
    });
  }

  // A tool error's \`cause\` (ErrorOptions) crosses as data only: its name, code and message, capped.
  // It is read without running plugin code: own data properties only (never getters), and never
  // from a Proxy (any access to one runs its traps, which may loop until the CPU limit ends the call).
  function describeCause(error) {
    if (!isPlainObject(error)) return undefined;
    const cause = dataOf(error, 'cause');
    if (cause === undefined || cause === null) return undefined;
    if (typeof cause !== 'object') return typeof cause === 'function' ? undefined : { message: StringCtor(cause).slice(0, 1000) };
    if (!isPlainObject(cause)) return undefined;
    const message = dataOf(cause, 'message');
    const out = { message: typeof message === 'string' ? message.slice(0, 1000) : '' };
    const name = inheritedData(cause, 'name');
    if (typeof name === 'string') out.name = name.slice(0, 100);
    const code = dataOf(cause, 'code');
    if (typeof code === 'string' || typeof code === 'number') out.code = StringCtor(code).slice(0, 100);
    return out;
  }

  function isPlainObject(value) {
    return value !== null && typeof value === 'object' && !apply(weakHas, proxies, [value]);
  }

  function dataOf(object, key) {
    const d = getOwnDescriptor(object, key);
    return d !== undefined && 'value' in d ? d.value : undefined;
  }

  // \`name\` usually lives on the error's prototype (TypeError.prototype, a subclass's prototype).
  function inheritedData(object, key) {
    let at = object;
    for (let depth = 0; depth < 8 && at !== null && isPlainObject(at); depth++) {
      const d = getOwnDescriptor(at, key);
      if (d !== undefined) return 'value' in d ? d.value : undefined;
      at = getPrototypeOf(at);
    }
    return undefined;
  }

  function describe(error) {
    try {
      if (error !== null && (typeof error === 'object' || typeof error === 'function')) {
        const name = typeof error.name === 'string' ? error.name : 'Error';
        const message = typeof error.message === 'string' ? error.message : 'the tool failed';
        const retry = error.retryAfterMs;
        return {
          name: name.slice(0, 200),
          message: message.slice(0, 4000),
          retryAfterMs: typeof retry === 'number' ? retry : undefined,
          cause: describeCause(error),
        };
      }
      return { name: 'Error', message: StringCtor(error).slice(0, 4000) };
    } catch (e) {
      return { name: 'Error', message: 'the tool threw a value that cannot be described' };
    }
  }

  let toolsByName;
  function tools() {
    if (toolsByName !== undefined) return toolsByName;
    const mod = global.__weftPlugin;
    const plugin = mod && mod.default;
    if (!plugin || plugin.kind !== 'weft-plugin' || !Array.isArray(plugin.tools)) {
      throw new ErrorCtor('the bundle does not export a plugin (export default definePlugin(...))');
    }
    toolsByName = new MapCtor();
    for (const tool of plugin.tools) toolsByName.set(tool.name, tool);
    return toolsByName;
  }

  // What a call returns also says how many host requests (timers included) the isolate still
  // awaits: the sandbox process learns of a request asynchronously, so this count, taken inside
  // the isolate, is the one that cannot miss a request made just before the call returned.
  async function invoke(callId, toolName, inputJson, runJson, maxOutput) {
    const result = await run(callId, toolName, inputJson, runJson, maxOutput);
    return '{"pending":' + outstanding + ',"result":' + result + '}';
  }

  // The synchronous entry: starts a call and returns at once; its result goes to the host through
  // \`done\` when it settles (within this entry for a tool that awaits nothing of the host).
  function begin(callId, toolName, inputJson, runJson, maxOutput) {
    report(callId, toolName, inputJson, runJson, maxOutput);
  }

  async function report(callId, toolName, inputJson, runJson, maxOutput) {
    done(callId, await invoke(callId, toolName, inputJson, runJson, maxOutput));
  }

  async function run(callId, toolName, inputJson, runJson, maxOutput) {
    try {
      const tool = tools().get(toolName);
      if (tool === undefined) return stringify({ ok: false, error: { name: 'ToolNotFound', message: 'no tool ' + toolName } });
      const output = await tool.run(parse(inputJson), makeContext(callId, parse(runJson)));
      const json = stringify(output === undefined ? null : output);
      if (typeof json !== 'string') return stringify({ ok: true, output: null });
      if (json.length > maxOutput) {
        return stringify({ ok: false, error: { name: 'OutputTooLarge', message: 'output is ' + json.length + ' characters' } });
      }
      return '{"ok":true,"output":' + json + '}';
    } catch (error) {
      return stringify({ ok: false, error: describe(error) });
    } finally {
      delete signals[callId];
    }
  }

  function abort(callId, reason) {
    const fire = signals[callId];
    if (fire !== undefined) fire(reason);
  }

  // Timers: the isolate has none of its own; the sandbox process sleeps on its behalf, only while a
  // call runs (it clears them when the isolate's last call ends). A cleared timer is cancelled in
  // the sandbox process too, so a tidy plugin does not count as leaving work pending.
  const timers = new MapCtor();
  const slice = Array.prototype.slice;
  let nextTimer = 0;
  function schedule(id, fn, ms, extra, repeat) {
    const wait = typeof ms === 'number' && ms > 0 ? ms : 0;
    const request = nextRequest + 1;
    timers.set(id, request);
    hostCall(0, 'sleep', { ms: wait }).then(function () {
      if (timers.get(id) !== request) return;
      if (repeat) schedule(id, fn, ms, extra, true);
      else timers.delete(id);
      if (typeof fn === 'function') fn.apply(undefined, extra);
    }, function () { if (timers.get(id) === request) timers.delete(id); });
  }
  function clear(id) {
    const request = timers.get(id);
    if (request === undefined) return;
    timers.delete(id);
    if (pending[request] !== undefined) {
      delete pending[request];
      outstanding--;
    }
    send(0, 0, 'sleep.cancel', stringify({ request: request }));
  }
  global.setTimeout = function (fn, ms) {
    const id = ++nextTimer;
    schedule(id, fn, ms, slice.call(arguments, 2), false);
    return id;
  };
  global.setInterval = function (fn, ms) {
    const id = ++nextTimer;
    schedule(id, fn, ms, slice.call(arguments, 2), true);
    return id;
  };
  global.clearTimeout = clear;
  global.clearInterval = clear;
  const quiet = function () {};
  global.console = freeze({ log: quiet, info: quiet, warn: quiet, error: quiet, debug: quiet });

  global.__weftEntry = freeze({ invoke: invoke, begin: begin, settle: settle, abort: abort });
})(globalThis);
`;
