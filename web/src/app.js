/*
 * app.js — the playground page: the editor, the derivative as you type,
 * and the teaching views (trace, evaluation and gradient check, swell,
 * DAG and tree, generated C), all computed by the symdiff engine in a
 * Web Worker (worker.js -> symdiff.wasm -> web/src/sdweb.c -> symdiff.h).
 *
 * The state of the page (program, constants, options, the open view) is
 * kept in the URL's fragment, so a link reproduces what is on the screen.
 * window.sdPlayground exposes timings for the browser test
 * (web/test/check-web.mjs): when the engine was ready, when the first
 * derivative was shown, and each keystroke's time to its derivative.
 */
'use strict';

/* --- the course examples ------------------------------------------------------------- */

const EXAMPLES = [
  { id: 'xlnx', label: 'x² ln x²', program: 'x^2 ln(x^2)', point: 'x=3' },
  { id: 'grad3', label: 'gradient, 3 variables', program: 'x1^2 + x1 ln(x2) + e^(x2 x3) + 2 x3',
    point: 'x1=1, x2=2, x3=0.5' },
  { id: 'jacobian', label: 'Jacobian', program: '# polar to Cartesian coordinates\n[r*cos(t), r*sin(t)]',
    point: 'r=2, t=0.5' },
  { id: 'sigmoid', label: 'sigmoid', program: 'sigmoid(x)', point: 'x=0.5' },
  { id: 'softmax', label: 'softmax + cross-entropy',
    program: '# softmax + cross-entropy of one example (y one-hot)\nparam W[3,4], b[3];\ninput x[4], y[3];\n' +
      's = W @ x + b;\nlogsumexp(s) - dot(y, s)' },
  { id: 'hinge', label: 'hinge loss',
    program: '# linear SVM: hinge loss plus L2\nparam w[3], b;\ninput x[3], y;\n' +
      'max(0, 1 - y*(dot(w, x) + b)) + 0.01*dot(w, w)' },
  { id: 'network', label: 'two-layer network',
    program: '# a 2-4-1 network, tanh hidden layer, logistic loss\nparam W1[4,2], b1[4], w2[4], b2;\n' +
      'input x[2], y;\nh = tanh(W1 @ x + b1);\np = sigmoid(dot(w2, h) + b2);\n-(y*ln(p) + (1 - y)*ln(1 - p))' },
  { id: 'logistic', label: 'logistic map', program: '# the logistic map, n steps\nl = x;\nrepeat n { l = 4*l*(1 - l) }\nl',
    defines: 'n=3', point: 'x=0.3' },
];

const VIEWS = ['trace', 'eval', 'swell', 'graph', 'code'];
const SWEEP_MAX = 60;          /* the slider's range: 1 .. SWEEP_MAX */
const ENGINE_LIMIT_MS = 10000; /* a request running longer is stopped */
const TYPESET_LIMIT = 20000;   /* LaTeX longer than this is not typeset */
const VIEW_PAUSE_MS = 150;     /* the open view is redrawn after a pause in typing */

const $ = (id) => document.getElementById(id);

/* --- the page's state, and the URL ---------------------------------------------------- */

const DEFAULTS = {
  p: EXAMPLES[0].program, c: '', v: 'trace', what: 'gradient', order: '2', wrt: '', mode: 'auto',
  expand: '0', at: '', g: 'dag', gs: '0', ck: 'symbolic', ct: 'double', cn: 'f', sw: '', pt: '', ps: '',
};
let state = { ...DEFAULTS };
let pointEdited = false; /* the point was typed (else it follows the variables) */

function stateFromURL() {
  const s = { ...DEFAULTS };
  const hash = location.hash.replace(/^#/, '');
  const params = new URLSearchParams(hash || location.search.replace(/^\?/, ''));
  let any = false;
  /* #example=ID starts from a course example; other keys then change it */
  if (params.has('example')) {
    const ex = EXAMPLES.find((e) => e.id === params.get('example'));
    if (ex) {
      s.p = ex.program;
      s.c = ex.defines || '';
      s.at = ex.point || '';
      any = true;
    }
  }
  for (const k of Object.keys(DEFAULTS)) {
    if (params.has(k)) {
      s[k] = params.get(k);
      any = true;
    }
  }
  if (!VIEWS.includes(s.v)) s.v = DEFAULTS.v;
  if (!any) {
    s.at = EXAMPLES[0].point;
  }
  return s;
}

/* Only what differs from the defaults goes into the link (the program always). */
function urlOfState() {
  const params = new URLSearchParams();
  params.set('p', state.p);
  for (const k of Object.keys(DEFAULTS)) {
    if (k === 'p' || state[k] === DEFAULTS[k]) continue;
    if (k === 'at' && !pointEdited) continue;
    params.set(k, state[k]);
  }
  return '#' + params.toString().replace(/\+/g, '%20');
}

let urlTimer = 0;
function saveURL() {
  clearTimeout(urlTimer);
  urlTimer = setTimeout(() => {
    const url = urlOfState();
    if (location.hash !== url) history.replaceState(null, '', url);
  }, 150);
}

/* --- the engine, in a worker ---------------------------------------------------------- */

/*
 * Requests go out one at a time.  Each belongs to a channel ("derive", or
 * "view" for the open view): a request waiting to be sent is replaced by a
 * newer one of its channel, so typing never queues up stale work.
 */
class Engine {
  constructor(onState) {
    this.onState = onState;
    this.next = 1;
    this.waiting = new Map();
    this.inflight = null;
    this.start();
  }

  start() {
    this.ready = false;
    const early = window.sdEarlyWorker;
    window.sdEarlyWorker = null;
    try {
      this.worker = early ? early.worker : new Worker('worker.js');
    } catch (e) {
      /* (a page opened as a file never gets here: index.html says so) */
      this.worker = null;
      this.onState('failed', String(e && e.message ? e.message : e));
      return;
    }
    this.worker.onmessage = (ev) => this.receive(ev.data);
    if (early) for (const msg of early.early) this.receive(msg);
    this.worker.onerror = (ev) => {
      ev.preventDefault();
      if (!this.ready) {
        /* it never started (symdiff.js or .wasm missing, or refused):
         * starting it again would fail the same way */
        this.worker.terminate();
        this.worker = null;
        this.onState('failed', 'the engine could not be loaded (' +
          (ev.message || 'symdiff.js or symdiff.wasm') + ')');
        return;
      }
      this.restart('the engine stopped: ' + (ev.message || 'an error in the worker'));
    };
  }

  restart(reason) {
    if (this.worker) this.worker.terminate();
    if (this.inflight) {
      clearTimeout(this.inflight.timer);
      this.inflight.resolve({ ok: false, status: 'limit reached', error: reason, diagnostics: [] });
      this.inflight = null;
    }
    this.onState('restarting', reason);
    this.start();
  }

  receive(msg) {
    if (msg.ready) {
      this.ready = true;
      this.onState('ready', msg.version);
      this.pump();
      return;
    }
    if (msg.failed) {
      this.onState('failed', msg.failed);
      return;
    }
    const f = this.inflight;
    if (!f || msg.id !== f.id) return;
    clearTimeout(f.timer);
    this.inflight = null;
    if (msg.crashed) {
      f.resolve({ ok: false, status: 'limit reached', diagnostics: [],
        error: 'the engine ran out of memory on this program (' + msg.crashed + ')' });
      this.restart('out of memory');
    } else {
      let answer;
      try {
        answer = JSON.parse(msg.answer);
      } catch (e) {
        answer = { ok: false, status: 'internal', error: 'unreadable answer: ' + e.message, diagnostics: [] };
      }
      answer.ms = msg.ms;
      f.resolve(answer);
    }
    this.pump();
  }

  request(channel, form) {
    return new Promise((resolve) => {
      const old = this.waiting.get(channel);
      if (old) old.resolve({ superseded: true });
      this.waiting.set(channel, { form, resolve });
      this.pump();
    });
  }

  pump() {
    if (!this.ready || this.inflight || !this.worker) return;
    for (const channel of ['derive', 'view']) {
      const w = this.waiting.get(channel);
      if (!w) continue;
      this.waiting.delete(channel);
      const id = this.next++;
      this.inflight = {
        id, resolve: w.resolve,
        timer: setTimeout(() => this.restart(
          `stopped after ${ENGINE_LIMIT_MS / 1000} s: the program is too large to work on in the browser`),
        ENGINE_LIMIT_MS),
      };
      this.worker.postMessage({ id, form: w.form });
      return;
    }
  }
}

/* --- small helpers ------------------------------------------------------------------------ */

function form(op, extra) {
  const f = new URLSearchParams();
  f.set('op', op);
  f.set('program', state.p);
  f.set('defines', state.c);
  f.set('what', state.what);
  f.set('order', state.order);
  f.set('wrt', state.wrt);
  f.set('mode', state.mode);
  f.set('expand', state.expand);
  for (const [k, v] of Object.entries(extra || {})) f.set(k, v);
  return f.toString();
}

function setText(id, text) {
  $(id).textContent = text || '';
}

function typeset(el, latex, display = true) {
  el.textContent = '';
  if (!latex) return true;
  if (latex.length > TYPESET_LIMIT) {
    el.innerHTML = '';
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = `(${latex.length} characters of LaTeX: too long to typeset here; the text form is below)`;
    el.appendChild(p);
    return false;
  }
  if (!window.katex) {
    el.textContent = latex;
    return false;
  }
  try {
    el.style.fontSize = '';
    window.katex.render(latex, el, { displayMode: display, throwOnError: true, output: 'htmlAndMathml' });
    el.dataset.tex = latex;
    fitWidth(el);
    return true;
  } catch (e) {
    el.textContent = '';
    const p = document.createElement('p');
    p.className = 'hint';
    p.textContent = 'could not typeset: ' + e.message;
    el.appendChild(p);
    return false;
  }
}

/* Typeset mathematics wider than its box is made smaller, down to 60%
 * of its size (beyond that, it scrolls). */
function fitWidth(el) {
  const over = el.scrollWidth, room = el.clientWidth;
  if (over <= room + 1 || !room) return;
  /* one measurement, one change: type scales with the font size */
  const base = parseFloat(getComputedStyle(el).fontSize);
  el.style.fontSize = (base * Math.max(0.6, (room - 4) / over)).toFixed(1) + 'px';
}

function download(name, text, type) {
  const blob = new Blob([text], { type: type || 'text/plain' });
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
}

async function copy(text, button) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch (e) {
    /* not a secure context (a page served from another machine over
     * http): the old way */
    const ta = document.createElement('textarea');
    ta.value = text;
    ta.setAttribute('readonly', '');
    ta.style.position = 'fixed';
    ta.style.opacity = '0';
    document.body.appendChild(ta);
    ta.select();
    try { ok = document.execCommand('copy'); } catch (e2) { ok = false; }
    ta.remove();
  }
  if (button) {
    const label = button.dataset.label || button.textContent;
    button.dataset.label = label;
    button.textContent = ok ? 'Copied' : 'Copy failed';
    setTimeout(() => { button.textContent = label; }, 1500);
  }
}

/* "n=3, m=2" as [["n", "3"], ["m", "2"]] (what the engine will read). */
function parseDefines(text) {
  return text.split(/[,;\n]/).map((s) => s.trim()).filter(Boolean).map((s) => {
    const i = s.indexOf('=');
    return i < 0 ? [s, ''] : [s.slice(0, i).trim(), s.slice(i + 1).trim()];
  });
}

function setDefine(text, name, value) {
  const items = parseDefines(text);
  const i = items.findIndex(([n]) => n === name);
  if (i >= 0) items[i][1] = String(value);
  else items.push([name, String(value)]);
  return items.map(([n, v]) => `${n}=${v}`).join(', ');
}

function shellQuote(s) {
  return "'" + s.replace(/'/g, "'\\''") + "'";
}

/* A byte offset of the program's UTF-8 as an index into the JS string. */
function charIndexOfByte(text, byteOffset) {
  const bytes = new TextEncoder().encode(text);
  return new TextDecoder().decode(bytes.slice(0, Math.min(byteOffset, bytes.length))).length;
}

/* --- the derivative, as you type ---------------------------------------------------------- */

const timings = { engineReady: null, firstDerivative: null, keystrokes: [], derives: 0 };
let pendingInputs = [];  /* performance.now() of inputs whose derivative is not shown yet */
let lastVars = [];

function showDiagnostics(answer) {
  const box = $('diagnostics');
  box.textContent = '';
  const editor = $('editor');
  if (answer.ok) {
    editor.setAttribute('aria-invalid', 'false');
    box.hidden = true;
    return;
  }
  box.hidden = false;
  editor.setAttribute('aria-invalid', 'true');
  const diags = answer.diagnostics || [];
  if (!diags.length) {
    const p = document.createElement('p');
    p.className = 'diag error';
    p.textContent = 'error: ' + (answer.error || answer.status);
    box.appendChild(p);
    return;
  }
  const src = state.p;
  for (const d of diags) {
    const item = document.createElement('div');
    item.className = 'diag ' + d.severity;
    item.dataset.line = d.line;
    item.dataset.column = d.column;
    const head = document.createElement('p');
    const where = document.createElement('button');
    where.type = 'button';
    where.className = 'where';
    where.textContent = d.line ? `line ${d.line}, column ${d.column}` : 'input';
    where.title = 'Put the cursor there';
    const start = charIndexOfByte(src, d.offset);
    const end = charIndexOfByte(src, d.offset + Math.max(d.length, 1));
    where.addEventListener('click', () => {
      editor.focus();
      editor.setSelectionRange(start, Math.max(end, start));
    });
    head.appendChild(where);
    head.appendChild(document.createTextNode(`: ${d.severity}: ${d.message}`));
    item.appendChild(head);
    if (d.line) {
      /* the source line and a caret under the span, in characters */
      const lineStart = src.lastIndexOf('\n', start - 1) + 1;
      let lineEnd = src.indexOf('\n', lineStart);
      if (lineEnd < 0) lineEnd = src.length;
      const line = src.slice(lineStart, lineEnd);
      const before = src.slice(lineStart, start).replace(/[^\t]/g, ' ');
      const width = Math.max(1, Math.min(end, lineEnd) - start);
      const pre = document.createElement('pre');
      pre.className = 'caret';
      pre.textContent = line + '\n' + before + '^' + '~'.repeat(width - 1);
      item.appendChild(pre);
    }
    box.appendChild(item);
  }
}

function renderDerive(answer) {
  showDiagnostics(answer);
  const result = $('result');
  document.querySelector('.views').classList.toggle('stale', !answer.ok);
  if (!answer.ok) {
    result.classList.add('stale');
    $('result-meta').textContent = '(the program has errors: showing the last result)';
    return;
  }
  result.classList.remove('stale');
  const st = answer.stats || {};
  const tree = (x) => (x == null ? 'huge' : x < 1e6 ? String(x) : x.toPrecision(3));
  $('result-meta').textContent =
    `${answer.layout ? answer.layout.name : ''} · ${st.engine || ''} engine · ` +
    `DAG ${st.derivative_nodes} nodes (as a tree ${tree(st.derivative_tree)})`;
  let latex = answer.latex;
  let text = answer.text;
  if (answer.layout && answer.layout.nwrt === 0 && answer.value_text !== undefined) {
    text = 'the program has no variables to differentiate; its value is ' + answer.value_text;
  }
  if (latex != null) {
    typeset($('math'), '\\begin{aligned}' + latex.replace(/\s+$/, '') + '\\end{aligned}');
  } else {
    $('math').textContent = answer.latex_error || '';
  }
  setText('text', text);
  lastVars = answer.vars || [];
  if (!pointEdited) {
    const p = defaultPoint(lastVars);
    if (p !== $('point').value) {
      $('point').value = p;
      state.at = p;
    }
  }
}

/* A point with a value for every variable: scalars 0.5; vectors and
 * matrices small values of both signs, so no example starts degenerate. */
function defaultPoint(vars) {
  const cycle = [0.5, -0.3, 0.8, 0.1, -0.6, 0.4, -0.2, 0.7];
  let k = 0;
  const num = () => cycle[k++ % cycle.length];
  return vars.map((v) => {
    if (v.shape.length === 0) return `${v.name}=${v.role === 'input' && v.name === 'y' ? 1 : num()}`;
    if (v.shape.length === 1) {
      return `${v.name}=[${Array.from({ length: v.shape[0] }, num).join(', ')}]`;
    }
    const rows = Array.from({ length: v.shape[0] },
      () => '[' + Array.from({ length: v.shape[1] }, num).join(', ') + ']');
    return `${v.name}=[${rows.join(', ')}]`;
  }).join(', ');
}

let engine = null;

function refreshDerive() {
  const inputs = pendingInputs;
  pendingInputs = [];
  engine.request('derive', form('derive')).then((answer) => {
    if (answer.superseded) {
      pendingInputs = inputs.concat(pendingInputs);
      return;
    }
    renderDerive(answer);
    const now = performance.now();
    timings.derives++;
    if (timings.firstDerivative === null && answer.ok) timings.firstDerivative = now;
    for (const t of inputs) timings.keystrokes.push({ ms: now - t, engine_ms: answer.ms, length: state.p.length });
    /* while someone types, the open view waits for a pause: the next
     * keystroke's derivative must not queue behind it */
    clearTimeout(viewTimer);
    if (inputs.length) viewTimer = setTimeout(refreshView, VIEW_PAUSE_MS);
    else refreshView();
  });
}
let viewTimer = 0;

/* --- the views ------------------------------------------------------------------------------ */

function viewError(view, answer) {
  const el = $(view + '-error');
  if (!el) return;
  if (answer.ok) {
    el.textContent = '';
    el.hidden = true;
  } else {
    el.hidden = false;
    el.textContent = answer.diagnostics && answer.diagnostics.length
      ? 'The program has errors (see under the editor).'
      : answer.error;
  }
}

const views = {
  trace: {
    request: () => form('trace'),
    render(a) {
      $('trace-math').hidden = !a.ok;
      $('trace-text').hidden = !a.ok;
      if (!a.ok) return;
      typeset($('trace-math'), a.latex.replace(/\s+$/, ''));
      setText('trace-text', a.text);
    },
  },
  eval: {
    request: () => form('eval', { at: state.at, check: $('gradcheck').checked ? '1' : '0' }),
    render(a) {
      const badge = $('check-badge');
      badge.className = 'badge';
      badge.textContent = '';
      $('eval-text').hidden = !a.ok;
      if (!a.ok) return;
      setText('eval-text', a.text);
      const c = a.values && a.values.check;
      if (c) {
        badge.classList.add(c.ok ? 'good' : 'bad');
        badge.textContent = `gradient check ${c.ok ? 'passed' : 'FAILED'}: ${c.points} points, ` +
          `largest relative error ${Number(c.max_error).toExponential(2)} (tolerance ${c.tolerance})`;
      } else if (a.check_error) {
        badge.textContent = 'gradient check: ' + a.check_error;
      }
    },
  },
  swell: {
    request() {
      const defs = parseDefines(state.c).filter(([, v]) => /^\d+$/.test(v));
      const select = $('sweep-name');
      const names = defs.map(([n]) => n);
      if (select.dataset.names !== names.join(',')) {
        select.textContent = '';
        for (const n of names) {
          const o = document.createElement('option');
          o.value = o.textContent = n;
          select.appendChild(o);
        }
        select.dataset.names = names.join(',');
      }
      const name = names.includes(state.sw) ? state.sw : names[0];
      const slider = $('sweep');
      select.disabled = slider.disabled = !name;
      if (!name) {
        $('sweep-value').textContent = '–';
        $('swell-note').textContent = 'To sweep, give the program a constant: for instance ' +
          'n=3 under Constants, used as repeat n { ... }. Below: the sizes for the program as it is.';
        return form('swell', { at: state.at });
      }
      select.value = name;
      const value = Number(defs.find(([n]) => n === name)[1]);
      slider.value = String(Math.max(1, Math.min(SWEEP_MAX, value)));
      $('sweep-value').textContent = String(value);
      $('sweep-label').firstChild.textContent = `${name} = `;
      $('swell-note').textContent = value > SWEEP_MAX
        ? `${name} = ${value} is beyond the slider: the plot shows 1..${value}.` : '';
      const [w, h] = (state.ps || '0x0').split('x');
      return form('swell', { at: state.at, name, lo: '1', hi: String(Math.max(1, value)),
        title: state.pt, width: w, height: h });
    },
    render(a) {
      $('swell-figure').hidden = !(a.ok && a.svg);
      if (!a.ok) {
        $('swell-table').textContent = '';
        return;
      }
      renderSwellTable(a.rows);
      if (a.svg) {
        const plot = $('swell-plot');
        plot.innerHTML = a.svg.replace(/^<\?xml[^>]*>\s*/, '');
        plot.dataset.svg = a.svg;
        const svg = plot.querySelector('svg');
        if (svg) {
          svg.setAttribute('role', 'img');
          svg.removeAttribute('width');
          svg.removeAttribute('height');
        }
      }
      setText('swell-sweep', a.sweep);
    },
  },
  graph: {
    request: () => form('dot', { tree: state.g === 'tree' ? '1' : '0', shared: state.gs }),
    async render(a) {
      const box = $('graph');
      if (!a.ok) {
        box.textContent = '';
        $('graph-meta').textContent = '';
        return;
      }
      box.dataset.dot = a.dot;
      const dag = `the function's DAG has ${a.function_nodes} nodes and the derivative's ` +
        `${a.derivative_nodes}, some of them shared`;
      const big = (v) => (v == null ? 'too many to count' : v < 1e15 ? v.toLocaleString('en-US') : v.toPrecision(3));
      const trees = `written out as trees they have ${big(a.function_tree)} and ${big(a.derivative_tree)}`;
      $('graph-meta').textContent = state.g === 'tree'
        ? `${trees[0].toUpperCase()}${trees.slice(1)}; ${dag}.`
        : `${dag[0].toUpperCase()}${dag.slice(1)}; ${trees}.`;
      box.classList.add('busy');
      try {
        const viz = await vizInstance();
        if (box.dataset.dot !== a.dot) return; /* a newer graph came meanwhile */
        const svg = viz.renderSVGElement(a.dot);
        box.textContent = '';
        box.appendChild(svg);
      } catch (e) {
        box.textContent = '';
        $('graph-error').hidden = false;
        $('graph-error').textContent = 'Graphviz could not draw this graph: ' + (e.message || e);
      } finally {
        box.classList.remove('busy');
      }
    },
  },
  code: {
    request() {
      const cmd = commandLine();
      $('code-command').textContent = cmd;
      const file = (state.cn || 'f') + '.c';
      $('code-file').textContent = file;
      $('code-file2').textContent = file;
      return form('emit', { kind: state.ck, type: state.ct, name: state.cn, command: cmd });
    },
    render(a) {
      $('code').hidden = !a.ok;
      if (a.ok) setText('code', a.source);
    },
  },
};

function commandLine() {
  const parts = ['symdiff'];
  if (state.ck !== 'symbolic') parts.push('--emit', state.ck + '-ad');
  if (state.ct === 'float') parts.push('--type', 'float');
  if (state.cn && state.cn !== 'f') parts.push('--name', state.cn);
  if (state.mode !== 'auto') parts.push('--mode', state.mode);
  if (state.what === 'hessian') parts.push('--hessian');
  if (state.what === 'nth') parts.push('--order', state.order);
  if (state.wrt.trim()) parts.push('--wrt', state.wrt.replace(/\s+/g, ''));
  for (const [n, v] of parseDefines(state.c)) parts.push('-D', `${n}=${v}`);
  parts.push(shellQuote(state.p.replace(/\s*#[^\n]*/g, '').replace(/\s*\n\s*/g, ' ').trim()));
  return parts.join(' ');
}

let vizPromise = null;
function vizInstance() {
  if (!vizPromise) {
    vizPromise = import('./vendor/viz/viz.js').then((m) => m.instance());
    vizPromise.catch(() => { vizPromise = null; });
  }
  return vizPromise;
}

function formatCount(row) {
  const unit = row.nodes !== undefined ? 'nodes' : row.ops !== undefined ? 'ops' : 'evals';
  const count = row[unit];
  if (count !== null && count !== undefined && count < 1e15) return [count.toLocaleString('en-US'), unit];
  /* beyond double's exact range: from the logarithm */
  const e = Math.floor(row.log10);
  const m = Math.pow(10, row.log10 - e);
  return [`≈ ${m.toFixed(2)} × 10^${e}`, unit];
}

function renderSwellTable(rows) {
  const table = $('swell-table');
  table.textContent = '';
  const withValues = rows.some((r) => r.value !== null);
  const cap = document.createElement('caption');
  cap.textContent = 'Size of the derivative by method' + (withValues ? ', and its value at the point' : '');
  table.appendChild(cap);
  const head = table.createTHead().insertRow();
  for (const h of ['method', 'size', 'unit'].concat(withValues ? ['value', 'error'] : [])) {
    const th = document.createElement('th');
    th.scope = 'col';
    th.textContent = h;
    head.appendChild(th);
  }
  const body = table.createTBody();
  for (const r of rows) {
    const tr = body.insertRow();
    const th = document.createElement('th');
    th.scope = 'row';
    th.textContent = r.method;
    tr.appendChild(th);
    const [size, unit] = formatCount(r);
    tr.insertCell().textContent = size;
    tr.cells[1].className = 'num';
    tr.insertCell().textContent = unit;
    if (withValues) {
      tr.insertCell().textContent = r.value === null ? '' : String(r.value);
      tr.insertCell().textContent = r.error === null ? '' : r.error === 0 ? '0' : r.error.toExponential(1);
      tr.cells[3].className = tr.cells[4].className = 'num';
    }
  }
}

function refreshView() {
  clearTimeout(viewTimer);
  const name = state.v;
  const v = views[name];
  const started = performance.now();
  engine.request('view', v.request()).then(async (answer) => {
    if (answer.superseded || state.v !== name) return;
    viewError(name, answer);
    await v.render(answer);
    timings.lastView = { view: name, ms: performance.now() - started };
    document.body.dataset.viewReady = name + ':' + (++viewCount);
  });
}
let viewCount = 0;

/* --- tabs -------------------------------------------------------------------------------------- */

function selectView(name, focus) {
  state.v = name;
  for (const tab of document.querySelectorAll('[role=tab]')) {
    const on = tab.dataset.view === name;
    tab.setAttribute('aria-selected', on ? 'true' : 'false');
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute('aria-controls')).hidden = !on;
    if (on && focus) tab.focus();
  }
  saveURL();
  if (engine) refreshView();
}

function setupTabs() {
  const tabs = [...document.querySelectorAll('[role=tab]')];
  for (const tab of tabs) {
    tab.addEventListener('click', () => selectView(tab.dataset.view, false));
    tab.addEventListener('keydown', (ev) => {
      const i = tabs.indexOf(tab);
      const to = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[ev.key];
      if (to === undefined) return;
      ev.preventDefault();
      selectView(tabs[(to + tabs.length) % tabs.length].dataset.view, true);
    });
  }
}

/* --- wiring ------------------------------------------------------------------------------------- */

function applyState() {
  $('editor').value = state.p;
  $('defines').value = state.c;
  $('what').value = state.what;
  $('order').value = state.order;
  $('order-label').hidden = state.what !== 'nth';
  $('wrt').value = state.wrt;
  $('mode').value = state.mode;
  $('expand').checked = state.expand === '1';
  $('point').value = state.at;
  pointEdited = state.at !== '';
  for (const r of document.querySelectorAll('input[name=graph-kind]')) r.checked = r.value === state.g;
  $('graph-shared').checked = state.gs === '1';
  $('graph-shared').disabled = state.g === 'tree';
  $('plot-title').value = state.pt;
  $('plot-size').value = state.ps;
  for (const r of document.querySelectorAll('input[name=code-kind]')) r.checked = r.value === state.ck;
  $('code-type').value = state.ct;
  $('code-name').value = state.cn;
  selectView(state.v, false);
}

function changed(key, value, opts) {
  state[key] = value;
  saveURL();
  if (!engine) return;
  if (opts && opts.viewOnly) refreshView();
  else refreshDerive();
}

function loadExample(ex) {
  state.p = ex.program;
  state.c = ex.defines || '';
  state.wrt = '';
  state.at = ex.point || '';
  applyState();
  pointEdited = !!ex.point;
  saveURL();
  pendingInputs.push(performance.now());
  refreshDerive();
}

function setup() {
  const buttons = $('example-buttons');
  for (const ex of EXAMPLES) {
    const b = document.createElement('button');
    b.type = 'button';
    b.className = 'example';
    b.textContent = ex.label;
    b.dataset.example = ex.id;
    b.addEventListener('click', () => loadExample(ex));
    buttons.appendChild(b);
  }
  setupTabs();
  $('editor').addEventListener('input', (ev) => {
    pendingInputs.push(ev.timeStamp || performance.now());
    changed('p', ev.target.value);
  });
  $('defines').addEventListener('input', (ev) => changed('c', ev.target.value));
  $('what').addEventListener('change', (ev) => {
    $('order-label').hidden = ev.target.value !== 'nth';
    changed('what', ev.target.value);
  });
  $('order').addEventListener('input', (ev) => changed('order', ev.target.value));
  $('wrt').addEventListener('input', (ev) => changed('wrt', ev.target.value));
  $('mode').addEventListener('change', (ev) => changed('mode', ev.target.value));
  $('expand').addEventListener('change', (ev) => changed('expand', ev.target.checked ? '1' : '0'));
  $('point').addEventListener('input', (ev) => {
    pointEdited = ev.target.value.trim() !== '';
    changed('at', ev.target.value, { viewOnly: true });
  });
  $('gradcheck').addEventListener('change', () => refreshView());
  $('sweep').addEventListener('input', (ev) => {
    const name = $('sweep-name').value;
    if (!name) return;
    const c = setDefine(state.c, name, ev.target.value);
    $('defines').value = c;
    $('sweep-value').textContent = ev.target.value;
    changed('c', c);
  });
  $('sweep-name').addEventListener('change', (ev) => changed('sw', ev.target.value, { viewOnly: true }));
  for (const r of document.querySelectorAll('input[name=graph-kind]')) {
    r.addEventListener('change', () => {
      $('graph-shared').disabled = r.value === 'tree'; /* a tree draws every use anyway */
      changed('g', r.value, { viewOnly: true });
    });
  }
  $('graph-shared').addEventListener('change', (ev) => changed('gs', ev.target.checked ? '1' : '0', { viewOnly: true }));
  $('plot-title').addEventListener('input', (ev) => changed('pt', ev.target.value, { viewOnly: true }));
  $('plot-size').addEventListener('change', (ev) => changed('ps', ev.target.value, { viewOnly: true }));
  for (const r of document.querySelectorAll('input[name=code-kind]')) {
    r.addEventListener('change', () => changed('ck', r.value, { viewOnly: true }));
  }
  $('code-type').addEventListener('change', (ev) => changed('ct', ev.target.value, { viewOnly: true }));
  $('code-name').addEventListener('input', (ev) => changed('cn', ev.target.value.trim() || 'f', { viewOnly: true }));

  $('copy-text').addEventListener('click', (ev) => copy($('text').textContent, ev.target));
  $('copy-code').addEventListener('click', (ev) => copy($('code').textContent, ev.target));
  $('download-code').addEventListener('click', () =>
    download((state.cn || 'f') + '.c', $('code').textContent, 'text/x-csrc'));
  $('download-svg').addEventListener('click', () =>
    download('swell.svg', $('swell-plot').dataset.svg || '', 'image/svg+xml'));
  $('download-dot').addEventListener('click', () =>
    download(state.g === 'tree' ? 'tree.dot' : 'dag.dot', $('graph').dataset.dot || '', 'text/vnd.graphviz'));
  $('download-graph-svg').addEventListener('click', () => {
    const svg = $('graph').querySelector('svg');
    if (svg) download(state.g === 'tree' ? 'tree.svg' : 'dag.svg', new XMLSerializer().serializeToString(svg), 'image/svg+xml');
  });
  $('copy-link').addEventListener('click', (ev) => {
    clearTimeout(urlTimer);
    history.replaceState(null, '', urlOfState());
    copy(location.href, ev.target);
  });
  const large = $('large-text');
  const setLarge = (on) => {
    document.documentElement.classList.toggle('large', on);
    large.setAttribute('aria-pressed', on ? 'true' : 'false');
    try { localStorage.setItem('sdLarge', on ? '1' : '0'); } catch (e) { /* private mode */ }
  };
  large.addEventListener('click', () => setLarge(large.getAttribute('aria-pressed') !== 'true'));
  try { if (localStorage.getItem('sdLarge') === '1') setLarge(true); } catch (e) { /* private mode */ }

  window.addEventListener('hashchange', () => {
    if (location.hash === urlOfState()) return; /* our own update */
    state = stateFromURL();
    applyState();
    refreshDerive();
  });

  state = stateFromURL();
  applyState();
  engine = new Engine((what, detail) => {
    const s = $('engine-status');
    if (what === 'ready') {
      timings.engineReady = performance.now();
      s.textContent = '';
      setText('version', detail);
    } else if (what === 'failed') {
      s.classList.add('bad');
      s.textContent = 'The engine could not start: ' + detail;
    } else if (what === 'restarting') {
      s.textContent = 'The engine was restarted (' + detail + ').';
      setTimeout(() => { if (s.textContent.startsWith('The engine was restarted')) s.textContent = ''; }, 6000);
    }
  });
  refreshDerive();
}

window.sdPlayground = { timings, examples: EXAMPLES, state: () => ({ ...state }) };

if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', setup);
else setup();
