/*
 * check-web.mjs — the playground in a real browser (make check-web).
 *
 * Serves web/dist/ on 127.0.0.1 (a small static server in this process,
 * which also counts the bytes it sends), drives Debian's Chromium headless
 * through playwright-core, and checks what a student and a teacher do:
 * type a program and see its derivative typeset; make a mistake and see
 * the caret at the right column; read the trace, evaluate at a point with
 * a gradient check; move the swell slider and see the plot change; draw
 * the DAG and the tree; download the generated C of every method and
 * compile it (and run it against the page's own numbers); open a shared
 * link; use the tabs from the keyboard; read it on a phone and on a
 * projector.  Screenshots of each view go to web/build/screenshots/ (not
 * into the source tree: `make web-picture` copies the README's picture).
 *
 * It measures the time to the first derivative after opening the page,
 * each keystroke's time to its derivative while the course examples are
 * typed, and the size of what is served; prints them, and writes them to
 * web/build/check-web.json.  Ends with "check-web: N passed, N failed";
 * exits 1 on any failure.
 *
 * Environment: CHROMIUM (default /usr/bin/chromium), CC (default gcc).
 */
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const WEB = path.resolve(here, '..');
const DIST = path.join(WEB, 'dist');
const BUILD = path.join(WEB, 'build');
const SHOTS = path.join(BUILD, 'screenshots');
const CC = process.env.CC || 'gcc';
const TIMEOUT = 15000;

/* --- the static server --------------------------------------------------------------- */

const MIME = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8', '.wasm': 'application/wasm', '.woff2': 'font/woff2',
  '.svg': 'image/svg+xml', '.txt': 'text/plain; charset=utf-8', '.json': 'application/json',
};
let served = [];  /* [path, bytes] of every response since the last reset */

const server = http.createServer((req, res) => {
  const url = new URL(req.url, 'http://localhost');
  let rel = decodeURIComponent(url.pathname);
  if (rel.endsWith('/')) rel += 'index.html';
  const file = path.resolve(DIST, '.' + rel);
  if (!file.startsWith(DIST + path.sep) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
    served.push([rel, 0, 404]);
    return;
  }
  const body = fs.readFileSync(file);
  res.writeHead(200, { 'content-type': MIME[path.extname(file)] || 'application/octet-stream',
    'content-length': body.length, 'cache-control': 'no-cache' });
  res.end(body);
  served.push([rel, body.length, 200]);
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const ORIGIN = `http://127.0.0.1:${server.address().port}`;

/* --- reporting -------------------------------------------------------------------------------- */

let passed = 0;
let failed = 0;
const failures = [];
const measured = {};

async function check(name, fn) {
  try {
    await fn();
    passed++;
    console.log(`check-web: ok - ${name}`);
  } catch (e) {
    failed++;
    failures.push(name);
    console.log(`check-web: FAILED - ${name}: ${(e && e.message ? e.message : String(e)).split('\n')[0]}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s[(s.length - 1) >> 1] + s[s.length >> 1]) / 2 : NaN;
};
const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(q * s.length))] : NaN;
};

/* --- the browser ------------------------------------------------------------------------------ */

fs.mkdirSync(SHOTS, { recursive: true });
fs.mkdirSync(BUILD, { recursive: true });
const tmp = fs.mkdtempSync(path.join(BUILD, 'check-web-'));

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const context = await browser.newContext({ viewport: { width: 1400, height: 1000 }, acceptDownloads: true });
await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ORIGIN });

const problems = [];  /* console errors, page errors, requests leaving localhost */
function watch(page) {
  page.on('console', (m) => { if (m.type() === 'error') problems.push('console: ' + m.text()); });
  page.on('pageerror', (e) => problems.push('page error: ' + e.message));
  page.on('request', (r) => {
    const u = new URL(r.url());
    if (!['127.0.0.1', 'localhost'].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol)) {
      problems.push('request outside localhost: ' + r.url());
    }
  });
  return page;
}

const page = watch(await context.newPage());
const text = (sel) => page.locator(sel).textContent();

async function setProgram(program, { type = false } = {}) {
  const ed = page.locator('#editor');
  await ed.focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.press('Delete');
  if (type) await page.keyboard.type(program);
  else await ed.fill(program);
}

async function waitText(sel, expected) {
  await page.waitForFunction(([s, e]) => {
    const el = document.querySelector(s);
    return el && el.textContent.trim() === e;
  }, [sel, expected], { timeout: TIMEOUT });
}

async function openView(name) {
  const before = await page.evaluate(() => document.body.dataset.viewReady || '');
  await page.click(`#tab-${name}`);
  await page.waitForFunction(([n, b]) => {
    const r = document.body.dataset.viewReady || '';
    return r !== b && r.startsWith(n + ':');
  }, [name, before], { timeout: TIMEOUT });
}

async function viewSettled(name, fn) {
  /* run fn, then wait for the view to be redrawn after it */
  const before = await page.evaluate(() => document.body.dataset.viewReady || '');
  await fn();
  await page.waitForFunction(([n, b]) => {
    const r = document.body.dataset.viewReady || '';
    return r !== b && r.startsWith(n + ':');
  }, [name, before], { timeout: TIMEOUT });
}

const shot = (name, p = page) => p.screenshot({ path: path.join(SHOTS, name), fullPage: true });

/* --- 1. opening the page ---------------------------------------------------------------------- */

await check('the first derivative is shown after the page opens', async () => {
  /* a cold start in a fresh page: time from navigation to the derivative */
  served = [];
  const t0 = Date.now();
  await page.goto(ORIGIN + '/');
  await waitText('#text', '2*x*(1 + ln(x^2))');
  const wall = Date.now() - t0;
  await page.waitForTimeout(300); /* the open view's request, and the fonts */
  const initial = served.filter(([, , st]) => st === 200);
  measured.first_load_bytes = initial.reduce((a, [, b]) => a + b, 0);
  measured.first_load_files = initial.length;
  measured.first_load_viz = initial.some(([p]) => p.includes('viz'));
  measured.first_load_wasm = initial.some(([p]) => p.endsWith('symdiff.wasm'));
  const t = await page.evaluate(() => window.sdPlayground.timings);
  measured.first_derivative_ms = Math.round(t.firstDerivative);
  measured.first_derivative_wall_ms = wall;
  measured.engine_ready_ms = Math.round(t.engineReady);
  assert(t.firstDerivative > 0, 'no timing recorded');
});

await check('opening the page twice more: the time to the first derivative is steady', async () => {
  const times = [measured.first_derivative_ms];
  for (let i = 0; i < 2; i++) {
    const p = watch(await context.newPage());
    await p.goto(ORIGIN + '/');
    await p.waitForFunction(() => window.sdPlayground && window.sdPlayground.timings.firstDerivative,
      null, { timeout: TIMEOUT });
    times.push(Math.round(await p.evaluate(() => window.sdPlayground.timings.firstDerivative)));
    await p.close();
  }
  measured.first_derivative_runs_ms = times;
  measured.first_derivative_median_ms = median(times);
});

await check('what the first load transfers (the graph library is loaded only when drawn)', async () => {
  assert(!measured.first_load_viz, 'viz.js was loaded before the graph view opened');
  assert(measured.first_load_wasm, 'the engine was not loaded');
});

/* --- 2. the derivative as you type ------------------------------------------------------------- */

await check('typing x^2 ln(x^2) shows 2*x*(1 + ln(x^2)), typeset', async () => {
  await setProgram('x^2 ln(x^2)', { type: true });
  await waitText('#text', '2*x*(1 + ln(x^2))');
  const tex = await page.locator('#math annotation').first().textContent();
  assert(tex.includes('2 x \\left(1 + \\ln\\left(x^{2}\\right)\\right)'), 'typeset TeX is ' + tex);
  assert(await page.locator('#math .katex-html').count() === 1, 'KaTeX did not render');
  const shown = (await page.locator('#math .katex-html').textContent()).replace(/\s+/g, '');
  assert(shown.includes('2x(1+ln(x2))'), 'the typeset text reads ' + shown);
  await shot('derivative.png');
});

await check('typing 2*(x+ shows the error at column 6 with its caret', async () => {
  await setProgram('2*(x+', { type: true });
  const err = page.locator('#diagnostics .diag.error');
  await err.first().waitFor({ timeout: TIMEOUT });
  assert(await err.first().getAttribute('data-column') === '6', 'column ' + await err.first().getAttribute('data-column'));
  assert((await err.first().textContent()).includes('unexpected end of input'), 'message');
  const caret = (await err.first().locator('pre.caret').textContent()).split('\n');
  assert(caret[0] === '2*(x+' && caret[1] === '     ^', 'caret block is ' + JSON.stringify(caret));
  const note = page.locator('#diagnostics .diag.note');
  assert(await note.getAttribute('data-column') === '3', 'the note points at the open bracket');
  assert(await page.locator('#editor').getAttribute('aria-invalid') === 'true', 'editor not marked invalid');
  await shot('error.png');
  /* the place button puts the cursor at the error */
  await err.first().locator('button.where').click();
  const pos = await page.evaluate(() => document.getElementById('editor').selectionStart);
  assert(pos === 5, 'cursor at ' + pos);
});

await check('an error on a later line of a multi-line program, after a non-ASCII comment', async () => {
  await setProgram('# ∂ of a product\ny = x^2;\ny * (x +* 2)');
  const err = page.locator('#diagnostics .diag.error').first();
  await page.waitForFunction(() => {
    const d = document.querySelector('#diagnostics .diag.error');
    return d && d.dataset.line === '3';
  }, null, { timeout: TIMEOUT });
  const caret = (await err.locator('pre.caret').textContent()).split('\n');
  const col = Number(await err.getAttribute('data-column'));
  assert(caret[0] === 'y * (x +* 2)', 'source line ' + caret[0]);
  assert(caret[1].indexOf('^') === col - 1 && caret[0][col - 1] === '*', `caret at ${caret[1].indexOf('^')}, column ${col}`);
});

await check('each keystroke of the course examples gets its derivative quickly', async () => {
  const examples = await page.evaluate(() => window.sdPlayground.examples);
  const all = [];
  const perExample = {};
  const slowest = [];
  const engineMs = [];
  for (const ex of examples) {
    const before = await page.evaluate(() => window.sdPlayground.timings.derives);
    await page.click(`button[data-example="${ex.id}"]`);
    await page.waitForFunction((n) => window.sdPlayground.timings.derives > n, before, { timeout: TIMEOUT });
    const expected = await text('#text');
    await setProgram('');
    await page.evaluate(() => { window.sdPlayground.timings.keystrokes = []; });
    /* a very quick typist: a key every 15 ms */
    await page.locator("#editor").pressSequentially(ex.program, { delay: 15 });
    try {
      await waitText('#text', expected.trim());
    } catch (e) {
      throw new Error(`${ex.id}: typed ${JSON.stringify(await page.inputValue('#editor'))}, ` +
        `shows ${JSON.stringify(await text('#text'))}, expected ${JSON.stringify(expected)}`);
    }
    await page.waitForTimeout(100);
    const raw = await page.evaluate(() => window.sdPlayground.timings.keystrokes);
    const ks = raw.map((k) => k.ms);
    engineMs.push(...raw.map((k) => k.engine_ms));
    slowest.push(...raw.map((k) => ({ ...k, example: ex.id, program: ex.program.slice(0, k.length) })));
    assert(ks.length >= ex.program.length * 0.9, `${ex.id}: ${ks.length} timings for ${ex.program.length} keys`);
    perExample[ex.id] = { keys: ks.length, median_ms: +median(ks).toFixed(1), max_ms: +Math.max(...ks).toFixed(1) };
    all.push(...ks);
  }
  measured.keystroke = {
    keys: all.length, median_ms: +median(all).toFixed(1), p95_ms: +quantile(all, 0.95).toFixed(1),
    engine_median_ms: +median(engineMs).toFixed(2), engine_max_ms: +Math.max(...engineMs).toFixed(2),
    max_ms: +Math.max(...all).toFixed(1), per_example: perExample,
    slowest: slowest.sort((a, b) => b.ms - a.ms).slice(0, 3)
      .map((k) => ({ ms: +k.ms.toFixed(1), engine_ms: +k.engine_ms.toFixed(1), example: k.example, program: k.program })),
  };
  assert(median(all) < 50, `median ${median(all)} ms`);
});

await check('a program too large for the browser says so, and the page goes on working', async () => {
  await setProgram('l = x; repeat 100000000 { l = 4*l*(1-l) } l');
  await page.waitForFunction(() => /too large|stopped after/.test(document.getElementById('diagnostics').textContent),
    null, { timeout: 30000 });
  await setProgram('x^3');
  await waitText('#text', '3*x^2');
});

await check('opened as a file, the page says how to open it', async () => {
  const ctx = await browser.newContext();
  const p = await ctx.newPage();
  await p.goto('file://' + path.join(DIST, 'index.html'));
  await p.waitForFunction(() => /web server/.test(document.getElementById('engine-status').textContent),
    null, { timeout: TIMEOUT });
  await ctx.close();
});

/* --- 3. the views ------------------------------------------------------------------------------- */

await check('the trace shows the rules', async () => {
  await page.click('button[data-example="xlnx"]');
  await openView('trace');
  const t = await text('#trace-text');
  assert(t.includes('[product rule]') && t.includes('simplified:   d/dx f = 2*x*(1 + ln(x^2))'), t);
  assert(await page.locator('#trace-math .katex').count() === 1, 'trace not typeset');
  await shot('trace.png');
});

let gradientAt3 = null;
await check('evaluation at a point, with a gradient check that passes', async () => {
  await openView('eval');
  await viewSettled('eval', () => page.fill('#point', 'x=3'));
  const t = await text('#eval-text');
  const m = /d\/dx = (\S+)/.exec(t);
  assert(m && Math.abs(Number(m[1]) - 19.183347464017316) < 1e-12, t);
  gradientAt3 = Number(m[1]);
  assert((await text('#check-badge')).startsWith('gradient check passed'), await text('#check-badge'));
  await shot('eval.png');
});

await check('a wrong point says what is wrong', async () => {
  await viewSettled('eval', () => page.fill('#point', 'y=3'));
  const e = await text('#eval-error');
  assert(e.length > 0 && /x|y/.test(e), 'message: ' + e);
  await viewSettled('eval', () => page.fill('#point', 'x=3'));
});

await check('the swell slider changes the table and the plot', async () => {
  await page.click('button[data-example="logistic"]');
  await openView('swell');
  await page.waitForFunction(() => document.querySelector('#swell-plot svg'), null, { timeout: TIMEOUT });
  const svg1 = await page.evaluate(() => document.getElementById('swell-plot').dataset.svg);
  const naive1 = await page.locator('#swell-table tbody tr:nth-child(3) td').first().textContent();
  assert(svg1.includes('n = 1..3'), 'title of the first plot');
  /* from the keyboard: three steps right */
  await page.focus('#sweep');
  for (let k = 4; k <= 6; k++) {
    await page.keyboard.press('ArrowRight');
    await page.waitForFunction((n) => (document.getElementById('swell-plot').dataset.svg || '').includes(`n = 1..${n}`),
      k, { timeout: TIMEOUT });
  }
  const svg2 = await page.evaluate(() => document.getElementById('swell-plot').dataset.svg);
  const naive2 = await page.locator('#swell-table tbody tr:nth-child(3) td').first().textContent();
  assert(svg2 !== svg1 && svg2.includes('n = 1..6'), 'the plot did not change');
  /* l_4 and l_7 of x (docs/teaching.md, the sweep of section 4) */
  assert(naive1 === '157' && naive2 === '2,593', `naive tree ${naive1} -> ${naive2}`);
  assert((await page.inputValue('#defines')) === 'n=6', 'the constant follows the slider');
  assert((await text('#sweep-value')) === '6', 'slider value shown');
  /* the derivative above follows too (l_7 of x) */
  await page.waitForFunction(() => document.getElementById('text').textContent.length > 100, null, { timeout: TIMEOUT });
  /* one variable: forward and reverse mode coincide, and both show */
  assert(svg2.includes('(the same values as forward-mode AD (ops))'), 'no note on the coinciding lines');
  await shot('swell.png');
  /* for a slide: a title and a size */
  await viewSettled('swell', () => page.fill('#plot-title', 'The logistic map: what a derivative costs'));
  await viewSettled('swell', () => page.selectOption('#plot-size', '1280x720'));
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download-svg')]);
  const f = path.join(tmp, 'swell.svg');
  await dl.saveAs(f);
  const slide = fs.readFileSync(f, 'utf8');
  assert(slide === await page.evaluate(() => document.getElementById('swell-plot').dataset.svg),
    'the downloaded SVG is the plot');
  assert(slide.includes('width="1280" height="720"') &&
    slide.includes('<title>The logistic map: what a derivative costs</title>'), 'title and size');
  await viewSettled('swell', () => page.fill('#plot-title', ''));
  await viewSettled('swell', () => page.selectOption('#plot-size', ''));
});

await check('the DAG and the tree are drawn from the engine\'s DOT', async () => {
  await page.click('button[data-example="xlnx"]');
  await openView('graph');
  await page.waitForFunction(() => document.querySelector('#graph svg g.node'), null, { timeout: 30000 });
  const drawn = () => page.locator('#graph svg g.node').count();
  const dot = () => page.evaluate(() => document.getElementById('graph').dataset.dot);
  const dagNodes = await drawn();
  const leaves = ((await dot()).match(/ -> c\d+_\d+;/g) || []).length;
  await shot('graph-dag.png');
  /* the constants as the graph holds them: x^2 ln(x^2) is 8 DAG nodes
   * (docs/teaching.md), plus a label for f and for d/dx */
  await viewSettled('graph', () => page.check('#graph-shared'));
  await page.waitForFunction((n) => document.querySelectorAll('#graph svg g.node').length !== n, dagNodes,
    { timeout: TIMEOUT });
  const heldNodes = await drawn();
  const heldConstants = ((await dot()).match(/n\d+ \[label="[^"]*", shape=plaintext\]/g) || []).length;
  assert(heldNodes === 8 + 2, `as held: ${heldNodes} nodes`);
  assert(leaves > heldConstants && dagNodes === heldNodes - heldConstants + leaves,
    `a leaf per use of a constant: ${dagNodes} drawn, ${heldNodes} held, ${heldConstants} constants, ${leaves} uses`);
  await viewSettled('graph', () => page.uncheck('#graph-shared'));
  await viewSettled('graph', () => page.check('input[name=graph-kind][value=tree]'));
  await page.waitForFunction((n) => document.querySelectorAll('#graph svg g.node').length !== n, dagNodes,
    { timeout: TIMEOUT });
  /* written out: 17 nodes and the two labels */
  assert(await drawn() === 17 + 2, `tree ${await drawn()} nodes`);
  assert(await page.isDisabled('#graph-shared'), 'a tree has no shared constants to draw');
  await shot('graph-tree.png');
  await viewSettled('graph', () => page.check('input[name=graph-kind][value=dag]'));
});

await check('the logistic map\'s DAG draws its constants per use', async () => {
  await page.click('button[data-example="logistic"]');
  /* the logistic map's picture, not the one before it (the page updates
   * when the engine answers, later on a busy machine) */
  await page.waitForFunction(() => ((document.getElementById('graph').dataset.dot || '')
    .match(/label="4"/g) || []).length >= 3, null, { timeout: TIMEOUT });
  await page.waitForFunction(() => document.querySelector('#graph svg g.node'), null, { timeout: TIMEOUT });
  const d = await page.evaluate(() => document.getElementById('graph').dataset.dot);
  /* no node labelled 4 with more than one arrow into it */
  const fours = [...d.matchAll(/(n\d+) \[label="4"/g)].map((m) => m[1]);
  for (const n of fours) {
    assert((d.match(new RegExp(`-> ${n};`, 'g')) || []).length <= 1, `${n} (a 4) is shared`);
  }
  assert((d.match(/c\d+_\d+ \[label="4"/g) || []).length >= 3, 'the 4s are leaves');
  await shot('graph-logistic.png');
});

await check('generated C of every method downloads, compiles with -Werror and agrees with the page', async () => {
  await page.click('button[data-example="xlnx"]');
  await openView('code');
  const driver = path.join(tmp, 'driver.c');
  fs.writeFileSync(driver, '#include <stdio.h>\n' +
    'double f(const double *x);\ndouble f_grad(const double *x, double *grad);\n' +
    'int main(void) { double x[1] = {3}, g[1]; double v = f_grad(x, g);\n' +
    '  printf("%.17g %.17g\\n", v, g[0]); return v != f(x); }\n');
  for (const kind of ['symbolic', 'forward', 'reverse']) {
    if (!await page.isChecked(`input[name=code-kind][value=${kind}]`)) {
      await viewSettled('code', () => page.check(`input[name=code-kind][value=${kind}]`));
    }
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download-code')]);
    assert(dl.suggestedFilename() === 'f.c', 'file name ' + dl.suggestedFilename());
    const file = path.join(tmp, `f_${kind}.c`);
    await dl.saveAs(file);
    const src = fs.readFileSync(file, 'utf8');
    assert(src === await text('#code'), 'the download is the code shown');
    const exe = path.join(tmp, `f_${kind}`);
    execFileSync(CC, ['-std=c99', '-Wall', '-Wextra', '-Wpedantic', '-Werror', '-O2', '-o', exe, file, driver, '-lm'],
      { stdio: ['ignore', 'inherit', 'inherit'] });
    const [v, g] = execFileSync(exe, { encoding: 'utf8' }).trim().split(' ').map(Number);
    assert(Math.abs(v - 19.775021196025975) < 1e-12 && Math.abs(g - gradientAt3) < 1e-12 * Math.abs(g),
      `${kind}: value ${v}, gradient ${g}`);
    if (kind === 'reverse') await shot('code.png');
  }
  /* copy gives the same text */
  await page.click('#copy-code');
  const clip = await page.evaluate(() => navigator.clipboard.readText());
  assert(clip === await text('#code'), 'the clipboard holds the code');
});

await check('generated C of the vector examples compiles too (double and float)', async () => {
  const files = [];
  for (const ex of ['softmax', 'network', 'hinge']) {
    await page.click(`button[data-example="${ex}"]`);
    for (const type of ['double', 'float']) {
      await viewSettled('code', () => page.selectOption('#code-type', type));
      await viewSettled('code', () => page.fill('#code-name', `${ex}_${type}`));
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#download-code')]);
      const file = path.join(tmp, dl.suggestedFilename());
      await dl.saveAs(file);
      files.push(file);
    }
  }
  /* one compiler run for all of them */
  execFileSync(CC, ['-std=c99', '-Wall', '-Wextra', '-Wpedantic', '-Werror', '-O2', '-c', ...files],
    { cwd: tmp, stdio: ['ignore', 'inherit', 'inherit'] });
  await viewSettled('code', () => page.selectOption('#code-type', 'double'));
  await viewSettled('code', () => page.fill('#code-name', 'f'));
});

/* --- 4. links, keyboard, screens ------------------------------------------------------------- */

await check('a shared link reproduces the program, the constants and the view', async () => {
  await page.click('button[data-example="logistic"]');
  await page.fill('#defines', 'n=4');
  await openView('graph');
  await page.waitForFunction(() => document.querySelector('#graph svg g.node'), null, { timeout: TIMEOUT });
  const expected = await text('#text');
  await page.click('#copy-link');
  const link = await page.evaluate(() => navigator.clipboard.readText());
  assert(link.startsWith(ORIGIN + '/#'), 'link ' + link);
  const other = watch(await (await browser.newContext({ viewport: { width: 1400, height: 1000 } })).newPage());
  await other.goto(link);
  await other.waitForFunction((e) => document.getElementById('text').textContent === e, expected, { timeout: TIMEOUT });
  assert(await other.inputValue('#editor') === await page.inputValue('#editor'), 'program');
  assert(await other.inputValue('#defines') === 'n=4', 'constants');
  assert(await other.getAttribute('#tab-graph', 'aria-selected') === 'true', 'view');
  await other.waitForFunction(() => document.querySelector('#graph svg g.node'), null, { timeout: TIMEOUT });
  /* a hand-written link: the sigmoid's C, reverse mode */
  await other.goto(ORIGIN + '/#p=sigmoid(x)&v=code&ck=reverse');
  await other.waitForFunction(() => document.getElementById('text').textContent === 'sigmoid(x)*(1 - sigmoid(x))\n',
    null, { timeout: TIMEOUT });
  await other.waitForFunction(() => document.getElementById('code').textContent.includes('reverse'), null,
    { timeout: TIMEOUT });
  assert(await other.isChecked('input[name=code-kind][value=reverse]'), 'method from the link');
  await other.context().close();
});

await check('the tabs work from the keyboard', async () => {
  await page.focus('#tab-trace');
  await page.click('#tab-trace');
  await page.keyboard.press('ArrowRight');
  assert(await page.getAttribute('#tab-eval', 'aria-selected') === 'true', 'ArrowRight');
  assert(await page.evaluate(() => document.activeElement.id) === 'tab-eval', 'focus follows');
  await page.keyboard.press('End');
  assert(await page.getAttribute('#tab-code', 'aria-selected') === 'true', 'End');
  await page.keyboard.press('Home');
  assert(await page.getAttribute('#tab-trace', 'aria-selected') === 'true', 'Home');
  /* every control has a name a screen reader can say */
  const unnamed = await page.evaluate(() => [...document.querySelectorAll('input, select, textarea, button')]
    .filter((el) => !el.closest('[hidden]'))
    .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.textContent.trim())
    .map((el) => el.id || el.outerHTML.slice(0, 60)));
  assert(unnamed.length === 0, 'unlabelled: ' + unnamed.join(', '));
});

await check('on a phone: one column, nothing wider than the screen', async () => {
  const phone = watch(await (await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2,
    isMobile: true, hasTouch: true })).newPage());
  await phone.goto(ORIGIN + '/#example=logistic&v=swell');
  await phone.waitForFunction(() => document.querySelector('#swell-plot svg'), null, { timeout: TIMEOUT });
  const overflow = await phone.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert(overflow <= 0, `the page is ${overflow} px wider than the screen`);
  await phone.screenshot({ path: path.join(SHOTS, 'phone.png'), fullPage: true });
  await phone.context().close();
});

await check('on a projector: larger text', async () => {
  const proj = watch(await (await browser.newContext({ viewport: { width: 1280, height: 720 } })).newPage());
  await proj.goto(ORIGIN + '/#p=x%5E2%20ln(x%5E2)&v=trace');
  await proj.waitForFunction(() => document.getElementById('text').textContent !== '', null, { timeout: TIMEOUT });
  const before = await proj.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  await proj.click('#large-text');
  const after = await proj.evaluate(() => parseFloat(getComputedStyle(document.documentElement).fontSize));
  assert(after > before && before >= 16, `font ${before} -> ${after} px`);
  await proj.screenshot({ path: path.join(SHOTS, 'projector.png') });
  await proj.context().close();
});

await check('the picture for the README', async () => {
  const ctx = await browser.newContext({ viewport: { width: 1400, height: 1000 } });
  const p = watch(await ctx.newPage());
  await p.goto(ORIGIN + '/#example=logistic&c=n%3D4&v=swell');
  await p.waitForFunction(() => document.querySelector('#swell-plot svg'), null, { timeout: TIMEOUT });
  await p.waitForTimeout(200);
  await p.screenshot({ path: path.join(SHOTS, 'playground.png'), fullPage: true });
  await ctx.close();
});

await check('no errors in the console, no request leaves localhost', async () => {
  assert(problems.length === 0, problems.slice(0, 3).join('; '));
});

await check('sizes: the engine under 1 MB', async () => {
  const walk = (d) => fs.readdirSync(d, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [fs.statSync(path.join(d, e.name)).size]));
  measured.dist_bytes = walk(DIST).reduce((a, b) => a + b, 0);
  measured.wasm_bytes = fs.statSync(path.join(DIST, 'symdiff.wasm')).size;
  measured.viz_bytes = fs.statSync(path.join(DIST, 'vendor/viz/viz.js')).size;
  assert(measured.wasm_bytes < 1024 * 1024, `symdiff.wasm is ${measured.wasm_bytes} bytes`);
});

await browser.close();
server.close();
fs.rmSync(tmp, { recursive: true, force: true });

/* --- the numbers -------------------------------------------------------------------------------- */
/* A keystroke's time runs from the input event to its derivative typeset
 * in the page (KaTeX included, painting not); the engine's part is the
 * WebAssembly call in the worker. */

const kB = (b) => (b / 1024).toFixed(0) + ' kB';
console.log('check-web: measured');
console.log(`  first derivative after opening the page: ${measured.first_derivative_ms} ms ` +
  `(runs ${(measured.first_derivative_runs_ms || []).join(', ')} ms; engine ready at ${measured.engine_ready_ms} ms; goal < 1000)`);
if (measured.keystroke) {
  const k = measured.keystroke;
  console.log(`  per keystroke, course examples typed: median ${k.median_ms} ms, 95th percentile ${k.p95_ms} ms, ` +
    `max ${k.max_ms} ms over ${k.keys} keys (goal < 50); the engine's part: median ${k.engine_median_ms} ms, ` +
    `max ${k.engine_max_ms} ms`);
  for (const [id, e] of Object.entries(k.per_example)) {
    console.log(`    ${id.padEnd(9)} ${String(e.keys).padStart(4)} keys  median ${e.median_ms} ms  max ${e.max_ms} ms`);
  }
}
console.log(`  served: first load ${kB(measured.first_load_bytes || 0)} in ${measured.first_load_files} files; ` +
  `the whole site ${kB(measured.dist_bytes || 0)} (symdiff.wasm ${kB(measured.wasm_bytes || 0)}, ` +
  `Graphviz loaded with the graph view ${kB(measured.viz_bytes || 0)})`);
fs.writeFileSync(path.join(BUILD, 'check-web.json'), JSON.stringify(measured, null, 2) + '\n');
console.log(`check-web: ${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
