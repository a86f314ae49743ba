/*
 * worker.js — the engine in a Web Worker, so that a large program never
 * freezes the page (and a runaway one can be stopped by ending the worker).
 *
 * Receives {id, form} (a request for sdweb_call, see web/src/sdweb.c);
 * answers {id, answer, ms}, the answer being sdweb_call's JSON text and ms
 * the engine's time for it.  Announces {ready, version} once the
 * WebAssembly module is compiled, or {failed} when it cannot be.
 */
/* global importScripts, createSymdiff */
importScripts('symdiff.js');

let engine = null;
const queue = [];

function call(form) {
  const M = engine;
  const n = M.lengthBytesUTF8(form) + 1;
  const p = M._malloc(n);
  if (!p) return '{"ok": false, "status": "out of memory", "error": "out of memory", "diagnostics": []}';
  M.stringToUTF8(form, p, n);
  const r = M._sdweb_call(p);
  M._free(p);
  if (!r) return '{"ok": false, "status": "out of memory", "error": "out of memory", "diagnostics": []}';
  const answer = M.UTF8ToString(r);
  M._sdweb_free(r);
  return answer;
}

function run(msg) {
  const t0 = performance.now();
  let answer;
  try {
    answer = call(msg.form);
  } catch (e) {
    /* a WebAssembly trap (out of memory past the browser's limit): the
     * module is unusable now; the page starts a new worker */
    self.postMessage({ id: msg.id, crashed: String(e && e.message ? e.message : e) });
    return;
  }
  self.postMessage({ id: msg.id, answer, ms: performance.now() - t0 });
}

self.onmessage = (ev) => {
  if (engine) run(ev.data);
  else queue.push(ev.data);
};

createSymdiff().then((M) => {
  engine = M;
  self.postMessage({ ready: true, version: M.UTF8ToString(M._sdweb_version()) });
  while (queue.length) run(queue.shift());
}, (e) => {
  self.postMessage({ failed: String(e && e.message ? e.message : e) });
});
