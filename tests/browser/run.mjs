// Runs one browser scenario: real web chat clients in Debian's headless Chromium, driven by
// Playwright (playwright-core, no browser download), chatting through the gateway.
//
//   node tests/browser/run.mjs '<json>'
//
// The JSON names the scenario and where things are (see `config` below). The runner serves the test
// pages in pages/ and the pinned libraries from node_modules/ on 127.0.0.1:pagesPort (an origin the
// gateway allows), and only lets the browser talk to loopback.
//
// Output: JSON lines. {"event":"stop-gateway"} and {"event":"start-gateway"} (restart scenario) ask the
// caller to stop the gateway, or start it again on the same port, and to answer with one line on
// stdin once done. The last line is the result, {"ok":true|false, ...}; exit code 0 only when ok.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const config = {
    scenario: 'chat',          // chat | discovery | reload | restart | failover | demo | status | prebind
    library: 'converse',       // converse | strophe | stanza | xmppjs
    transport: 'websocket',    // websocket | bosh
    boshUrl: null,             // the gateway's endpoints
    webSocketUrl: null,
    pageUrl: null,             // demo, status: the gateway's own page
    discoveryPort: null,       // discovery: https://DOMAIN/ is mapped to 127.0.0.1:discoveryPort
    prebindUrl: null,          // prebind: the gateway's prebind endpoint, called by the pages server as a web
    prebindSecret: null,       //   application's backend would, with a request token signed with prebindSecret
    domain: 'localhost',
    users: [],                 // [sender, recipient, observer]
    password: 'secret',
    pagesPort: 0,
    screenshots: path.join(here, '..', '..', '.tmp', 'browser-screenshots', 'manual'),
    name: 'run',
    timeoutSeconds: 120,
    ...JSON.parse(process.argv[2] || '{}'),
};
const chromiumPath = process.env.BOSHGW_CHROMIUM || '/usr/bin/chromium';
const started = Date.now();
const result = { ok: false, scenario: config.scenario, library: config.library, transport: config.transport, steps: [], screenshots: [], blocked: [] };
const pages = [];
let browser;

function step(text) {
    result.steps.push(`${((Date.now() - started) / 1000).toFixed(1)}s ${text}`);
}

async function finish(ok, reason) {
    result.ok = ok;
    if (reason) result.reason = reason;
    if (!ok) {
        for (const p of pages) {
            await shot(p, 'failure').catch(() => {});
            p.result.log = p.log.slice(-40);
        }
    }
    result.pages = pages.map(p => ({ user: p.user, ...p.result }));
    result.seconds = (Date.now() - started) / 1000;
    console.log(JSON.stringify(result));
    await Promise.race([browser?.close(), sleep(5000)]).catch(() => {});
    process.exit(ok ? 0 : 1);
}

const sleep = ms => new Promise(r => setTimeout(r, ms));

/** Polls fn (async) until it returns a truthy value; throws with `what` after timeoutMs. */
async function until(what, fn, timeoutMs = 20000, everyMs = 100) {
    const deadline = Date.now() + timeoutMs;
    let last;
    while (Date.now() < deadline) {
        try {
            last = await fn();
            if (last) return last;
        } catch (e) {
            last = e;
        }
        await sleep(everyMs);
    }
    throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last instanceof Error ? ` (${last.message})` : ''}`);
}

// ---- the caller (the C# test) restarts the gateway on request --------------------------------------
const stdin = readline.createInterface({ input: process.stdin });
const stdinLines = [];
let stdinWaiter = null;
stdin.on('line', line => { if (stdinWaiter) { const w = stdinWaiter; stdinWaiter = null; w(line); } else stdinLines.push(line); });

async function askCaller(event) {
    console.log(JSON.stringify({ event }));
    const line = stdinLines.length ? stdinLines.shift() : await new Promise(r => { stdinWaiter = r; });
    step(`${event}: ${line}`);
}

// ---- static pages ----------------------------------------------------------------------------------
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.ttf': 'font/ttf', '.woff2': 'font/woff2', '.mp3': 'audio/mpeg', '.ogg': 'audio/ogg', '.wasm': 'application/wasm', '.map': 'application/json' };
const servedPackages = ['converse.js', 'strophe.js', '@xmpp/client'];
let stanzaBundle = null;
let holdHtmlBodies = null; // a promise: while set, HTML answers send their headers and wait for it before the body

async function bundleStanza() {
    const esbuild = await import('esbuild');
    const out = await esbuild.build({ entryPoints: [path.join(here, 'pages', 'stanza-entry.js')], bundle: true, format: 'esm', platform: 'browser', write: false, logLevel: 'silent', define: { global: 'globalThis' } });
    return out.outputFiles[0].contents;
}

// ---- a web application's backend for prebind: it knows its user (here from the query string), signs a
// request token and asks the gateway for a session, then hands the page {jid, sid, rid} ----------------
async function webAppPrebind(user, res) {
    const part = o => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${part({ alg: 'HS256', typ: 'JWT' })}.${part({ sub: jid(user), exp: Math.floor(Date.now() / 1000) + 60, jti: crypto.randomUUID() })}`;
    const token = `${input}.${crypto.createHmac('sha256', config.prebindSecret).update(input).digest('base64url')}`;
    const answer = await fetch(config.prebindUrl, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    const body = await answer.text();
    step(`web application prebound ${user}: HTTP ${answer.status}`);
    res.writeHead(answer.status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(body);
}

function servePages() {
    const server = http.createServer(async (req, res) => {
        const url = new URL(req.url, 'http://pages');
        let file = null;
        if (url.pathname === '/webapp/prebind') {
            await webAppPrebind(url.searchParams.get('user'), res).catch(e => res.writeHead(502).end(String(e)));
            return;
        }
        if (url.pathname === '/bundles/stanza.js') {
            stanzaBundle ??= bundleStanza();
            res.writeHead(200, { 'content-type': types['.js'], 'cache-control': 'no-store' });
            res.end(await stanzaBundle);
            return;
        }
        if (url.pathname.startsWith('/node_modules/')) {
            const rest = url.pathname.slice('/node_modules/'.length);
            if (servedPackages.some(p => rest.startsWith(p + '/'))) file = path.join(here, 'node_modules', rest);
        } else {
            file = path.join(here, 'pages', url.pathname === '/' ? 'index.html' : url.pathname);
        }
        if (!file || !path.resolve(file).startsWith(here) || file.includes('..')) {
            res.writeHead(404).end();
            return;
        }
        fs.readFile(file, async (err, data) => {
            if (err) {
                res.writeHead(404).end();
                return;
            }
            const type = types[path.extname(file)] || 'application/octet-stream';
            res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' });
            if (type.startsWith('text/html') && holdHtmlBodies) {
                res.flushHeaders();
                await holdHtmlBodies;
            }
            res.end(data);
        });
    });
    return new Promise((resolve, reject) => {
        server.on('error', reject);
        server.listen(config.pagesPort, '127.0.0.1', () => resolve(server));
    });
}

// ---- browser ---------------------------------------------------------------------------------------
async function launch() {
    const args = ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-dev-shm-usage'];
    if (config.discoveryPort) {
        // Converse.js fetches https://DOMAIN/.well-known/host-meta (port 443): send DOMAIN to the
        // gateway's TLS port instead, with its self-signed certificate accepted (ignoreHTTPSErrors).
        args.push(`--host-resolver-rules=MAP ${config.domain} 127.0.0.1:${config.discoveryPort}`);
    }
    try {
        return await chromium.launch({ executablePath: chromiumPath, headless: true, args, timeout: 30000 });
    } catch (e) {
        result.browserDidNotStart = true;
        throw new Error(`Chromium (${chromiumPath}) did not start: ${e.message.split('\n')[0]}`);
    }
}

const loopback = /^(https?|wss?):\/\/(127\.0\.0\.1|localhost|\[::1\])(:\d+)?\//;

async function newPage(user) {
    const context = await browser.newContext({ viewport: { width: 1100, height: 720 }, ignoreHTTPSErrors: true });
    // Loopback only: anything else (Converse.js's sponsor logos, a CDN) is blocked and recorded.
    await context.route(u => !loopback.test(u.href) && !u.href.startsWith('data:') && !u.href.startsWith('blob:'), route => {
        result.blocked.push(route.request().url());
        return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    page.user = user;
    page.log = [];
    page.result = {};
    page.on('console', m => page.log.push(`${((Date.now() - started) / 1000).toFixed(1)} ${m.type()}: ${m.text().slice(0, 400)}`));
    page.on('pageerror', e => page.log.push(`pageerror: ${e.message}`));
    page.on('requestfailed', r => page.log.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`));
    pages.push(page);
    return page;
}

async function shot(page, label) {
    fs.mkdirSync(config.screenshots, { recursive: true });
    const file = path.join(config.screenshots, `${config.name}-${label}-${page.user}.png`);
    await page.screenshot({ path: file, timeout: 10000 });
    result.screenshots.push(file);
}

const pagesOrigin = () => `http://127.0.0.1:${config.pagesPort}`;
const jid = user => `${user}@${config.domain}`;
const endpoint = () => (config.transport === 'bosh' ? config.boshUrl : config.webSocketUrl);

// ---- library test pages (Strophe.js, StanzaJS, xmpp.js): window.chat in pages/chat-page.js ----------
async function libraryLogin(user, library = config.library) {
    const page = await newPage(user);
    await page.goto(`${pagesOrigin()}/${library === 'xmppjs' ? 'xmppjs' : library}.html`);
    await page.evaluate(o => window.chat.connect(o), { transport: config.transport, url: endpoint(), jid: jid(user), password: config.password });
    step(`${user} online (${library}, ${config.transport})`);
    return page;
}

const shownLines = page => page.$$eval('#messages .message', els => els.map(e => e.textContent));

async function libraryChat() {
    const [a, b] = config.users;
    const pa = await libraryLogin(a);
    const pb = await libraryLogin(b);
    // A message to a bare JID reaches resources that have sent presence: wait until each sees the other.
    await until('each user to see the other online', async () =>
        (await pa.evaluate(j => window.chat.online(j).length, jid(b))) > 0 && (await pb.evaluate(j => window.chat.online(j).length, jid(a))) > 0);
    const count = 5;
    for (let i = 1; i <= count; i++) {
        await pa.evaluate(([to, text]) => window.chat.send(to, text), [jid(b), `hello ${b}, this is ${a} (${i})`]);
        await pb.evaluate(([to, text]) => window.chat.send(to, text), [jid(a), `hi ${a}, ${b} here (${i})`]);
    }
    const wantAtB = Array.from({ length: count }, (_, i) => `${jid(a)}: hello ${b}, this is ${a} (${i + 1})`);
    const wantAtA = Array.from({ length: count }, (_, i) => `${jid(b)}: hi ${a}, ${b} here (${i + 1})`);
    try {
        await until(`${b}'s page to show ${count} messages from ${a} (and ${a}'s from ${b})`, async () =>
            (await shownLines(pb)).length >= count && (await shownLines(pa)).length >= count, 20000);
    } finally {
        pb.result.shown = await shownLines(pb);
        pa.result.shown = await shownLines(pa);
    }
    await sleep(300); // nothing more may arrive: no duplicates
    pb.result.shown = await shownLines(pb);
    pa.result.shown = await shownLines(pa);
    await shot(pb, 'received');
    await shot(pa, 'received');
    const same = (x, y) => JSON.stringify(x) === JSON.stringify(y);
    if (!same(pb.result.shown, wantAtB) || !same(pa.result.shown, wantAtA)) {
        throw new Error(`pages show other messages than sent: expected ${JSON.stringify(wantAtB)} at ${b}`);
    }
    await Promise.all([pa, pb].map(p => p.evaluate(() => window.chat.disconnect())));
    step('both disconnected cleanly');
}

// ---- Converse.js, driven through its own UI ----------------------------------------------------------
function converseUrl(extra = {}) {
    if (config.scenario === 'demo') return config.pageUrl;
    const q = new URLSearchParams(extra);
    if (config.scenario !== 'discovery') q.set(config.transport === 'bosh' ? 'bosh' : 'ws', endpoint());
    return `${pagesOrigin()}/converse.html?${q}`;
}

async function converseOpen(user) {
    const page = await newPage(user);
    await page.goto(converseUrl());
    return page;
}

async function converseLogin(page) {
    await page.locator('#converse-login-jid').fill(jid(page.user), { timeout: 20000 });
    await page.locator('#converse-login-password').fill(config.password);
    await page.locator('#converse-login button[type=submit]').click();
    await converseOnline(page, 'login');
}

/**
 * What the user sees once connected: their status, the contact list, and no spinner. A reloaded page
 * draws the contact list from its stored session before its connection is up (Converse.js shows no
 * spinner then), so where the test page's hooks exist the connection must also have reached CONNECTED
 * (or ATTACHED, for BOSH) before the page counts as online.
 */
async function converseOnline(page, why, timeoutMs = 25000) {
    await until(`${page.user}'s Converse to be online after ${why}`, () => page.evaluate(() => {
        const visible = sel => [...document.querySelectorAll(sel)].some(e => e.offsetParent !== null || e.getClientRects().length > 0);
        const shown = visible('converse-roster') && !visible('converse-controlbox converse-spinner') && !visible('#converse-login');
        const status = window.converseTest?.status();
        return shown && (!status || ['CONNECTED', 'ATTACHED'].includes(status.status));
    }), timeoutMs, 200);
    page.result.status = await converseStatus(page);
    step(`${page.user} online in Converse.js after ${why} (${page.result.status?.transport ?? 'demo page'})`);
}

/** Connection facts from the test page's plugin (absent on the demo page, which has no test hooks). */
const converseStatus = page => page.evaluate(() => window.converseTest?.status() ?? null);

async function converseOpenChat(page, other) {
    const contact = page.locator(`li[data-status="online"] a.open-chat[data-jid="${jid(other)}"]`);
    await contact.waitFor({ timeout: 20000 });
    await contact.click();
    await page.locator(`converse-chat[jid="${jid(other)}"] .chat-textarea`).waitFor({ timeout: 10000 });
}

async function converseSay(page, other, text) {
    const box = page.locator(`converse-chat[jid="${jid(other)}"] .chat-textarea`);
    await box.fill(text);
    await box.press('Enter');
    await until(`${page.user}'s own message "${text}" to show`, async () => (await converseShown(page, other)).includes(text), 10000);
}

/** The message texts the chat with `other` shows, top to bottom. */
const converseShown = (page, other) =>
    page.$$eval(`converse-chat[jid="${jid(other)}"] converse-chat-message .chat-msg__text`, els => els.map(e => e.textContent.trim()));

async function converseExpect(page, other, expected, what, timeoutMs = 20000) {
    try {
        await until(`${page.user}'s chat with ${other} to show ${what}`, async () => {
            const shown = await converseShown(page, other);
            return expected.every(t => shown.includes(t));
        }, timeoutMs, 200);
    } finally {
        page.result.shown = await converseShown(page, other);
    }
    await sleep(500);
    const shown = (page.result.shown = await converseShown(page, other));
    for (const text of expected) {
        const n = shown.filter(s => s === text).length;
        if (n !== 1) throw new Error(`${page.user}'s page shows "${text}" ${n} times`);
    }
    const order = shown.filter(s => expected.includes(s));
    if (JSON.stringify(order) !== JSON.stringify(expected)) throw new Error(`${page.user}'s page shows ${JSON.stringify(order)}, in another order than sent`);
}

async function converseTwo() {
    const [a, b] = config.users;
    const [pa, pb] = await Promise.all([converseOpen(a), converseOpen(b)]);
    await Promise.all([converseLogin(pa), converseLogin(pb)]);
    await Promise.all([converseOpenChat(pa, b), converseOpenChat(pb, a)]);
    return [pa, pb];
}

/** Both users are logged in by the web application (prebind): no login form, the page attaches to the session. */
async function conversePrebound() {
    const pages = await Promise.all(config.users.slice(0, 2).map(async user => {
        const page = await newPage(user);
        await page.goto(converseUrl({ prebind: `/webapp/prebind?user=${encodeURIComponent(user)}` }));
        await converseOnline(page, 'prebind');
        return page;
    }));
    const [a, b] = config.users;
    await Promise.all([converseOpenChat(pages[0], b), converseOpenChat(pages[1], a)]);
    return pages;
}

async function converseChat() {
    const [a, b] = config.users;
    const [pa, pb] = config.scenario === 'prebind' ? await conversePrebound() : await converseTwo();
    const fromA = [1, 2, 3].map(i => `Hello ${b}, ${a} here (${i})`);
    const fromB = [1, 2, 3].map(i => `Hi ${a}! (${i})`);
    for (let i = 0; i < 3; i++) {
        await converseSay(pa, b, fromA[i]);
        await converseSay(pb, a, fromB[i]);
    }
    await converseExpect(pb, a, fromA, `the messages from ${a}`);
    await converseExpect(pa, b, fromB, `the messages from ${b}`);
    await shot(pb, 'received');
    await shot(pa, 'received');
    if (config.scenario === 'discovery') {
        for (const p of [pa, pb]) {
            const s = p.result.status;
            if (!s?.service?.startsWith(config.transport === 'bosh' ? `https://${config.domain}/` : `wss://${config.domain}/`)) {
                throw new Error(`${p.user} connected to ${s?.service} (${s?.transport}), not to the discovered ${config.transport} URL`);
            }
        }
    }
    if (config.scenario === 'demo' && result.blocked.length) {
        throw new Error(`the demo page asked for addresses beyond the gateway: ${result.blocked.join(', ')}`);
    }
}

async function converseReload() {
    const [a, b] = config.users;
    const [pa, pb] = await converseTwo();
    await converseSay(pa, b, 'Before the reload');
    await converseExpect(pb, a, ['Before the reload'], 'the first message');
    // Converse.js orders a chat by timestamp, and the stanzas the server sends again on an XEP-0198
    // resume carry a <delay/> stamp with whole seconds (Prosody): a message sent within the same second
    // as this one would be stamped before it and shown above it. Let a second pass.
    await sleep(1100);
    // Reload B's page, and hold the new page's HTML after its headers: the old page is gone (its
    // connection with it) and the new one cannot reconnect yet, while A sends.
    let release;
    holdHtmlBodies = new Promise(r => { release = r; });
    await pb.reload({ waitUntil: 'commit' });
    step(`${b}'s page reloading (old page unloaded, new one held)`);
    const during = [1, 2, 3].map(i => `While ${b} reloads (${i})`);
    for (const text of during) await converseSay(pa, b, text);
    await sleep(1500);
    holdHtmlBodies = null;
    release();
    await pb.waitForLoadState('load');
    await converseOnline(pb, 'the reload');
    if (!(await pb.locator(`converse-chat[jid="${jid(a)}"] .chat-textarea`).isVisible())) await converseOpenChat(pb, a);
    await converseSay(pa, b, 'After the reload');
    await converseExpect(pb, a, ['Before the reload', ...during, 'After the reload'], 'every message, once, in order');
    await shot(pb, 'after-reload');
}

async function converseRestart() {
    const [a, b, observer] = config.users;
    const [pa, pb] = await converseTwo();
    await converseSay(pa, b, 'Before the restart');
    await converseExpect(pb, a, ['Before the restart'], 'the first message');
    await askCaller('stop-gateway');
    // A clean disconnect: Converse.js notices, shows its reconnecting spinner over the contact list,
    // keeps the conversation on screen, and does not fall back to the login form.
    for (const p of [pa, pb]) {
        await until(`${p.user}'s page to show the connection is gone`, () => p.evaluate(() => {
            const visible = sel => [...document.querySelectorAll(sel)].some(e => e.getClientRects().length > 0);
            return visible('converse-controlbox converse-spinner') && !visible('#converse-login');
        }), 15000, 200);
        p.result.whileDown = await converseStatus(p);
        p.result.shownWhileDown = await converseShown(p, p === pa ? b : a);
    }
    await shot(pb, 'gateway-down');
    step('both pages show the disconnect');
    await askCaller('start-gateway');
    await Promise.all([converseOnline(pa, 'the restart', 40000), converseOnline(pb, 'the restart', 40000)]);
    for (const [p, other] of [[pa, b], [pb, a]]) {
        if (!(await p.locator(`converse-chat[jid="${jid(other)}"] .chat-textarea`).isVisible())) await converseOpenChat(p, other);
    }
    await converseSay(pa, b, 'After the restart');
    await converseSay(pb, a, 'Welcome back');
    await converseExpect(pb, a, ['Before the restart', 'After the restart'], 'both messages, once');
    await converseExpect(pa, b, ['Welcome back'], 'the reply');
    await shot(pb, 'after-restart');
    // No duplicate session left on the server: a third user's presence view shows exactly one online
    // resource for each of them (a stale server session would still be online, until it times out).
    const po = await libraryLogin(observer, 'strophe');
    await until(`${observer} to see ${a} and ${b} online`, async () =>
        (await po.evaluate(j => window.chat.online(j).length, jid(a))) > 0 && (await po.evaluate(j => window.chat.online(j).length, jid(b))) > 0, 10000);
    await sleep(1000); // the presence of any second session arrives with the first
    result.resources = {};
    for (const user of [a, b]) {
        result.resources[user] = await po.evaluate(j => window.chat.online(j), jid(user));
    }
    for (const user of [a, b]) {
        if (result.resources[user].length !== 1) {
            throw new Error(`the server has ${result.resources[user].length} online sessions for ${user}: ${result.resources[user].join(', ')}`);
        }
    }
    await po.evaluate(() => window.chat.disconnect());
}

/**
 * Several nodes behind nginx: the caller kills (-9) the node that holds a session of one of the two
 * pages while they chat. The page that lost its connection must come back by itself, and each page must
 * show every message once, in the order sent, including those the other page sent while it was away.
 * (Converse.js does not let its user send while it is reconnecting, so the page that lost its node types
 * only once it is back.)
 */
async function converseFailover() {
    const [a, b] = config.users;
    const [pa, pb] = await converseTwo();
    const before = [1, 2].map(i => `Before the failover (${i})`);
    for (const text of before) await converseSay(pa, b, text);
    await converseExpect(pb, a, before, 'the first messages');
    const replies = [1, 2].map(i => `Reply before the failover (${i})`);
    for (const text of replies) await converseSay(pb, a, text);
    await converseExpect(pa, b, replies, 'the first replies');
    // Prosody stamps each message it keeps for an XEP-0198 resumption with a whole-second <delay> (mod_smacks,
    // util.datetime), and Converse.js orders a chat by time: a message sent while the page reconnects, in the
    // same second as the last one it showed live, would be stamped earlier than that one and shown above it.
    // Start the failover in the next second, so the order on the page is the order sent.
    await sleep(1050 - Date.now() % 1000);
    await askCaller('kill-node');
    const disconnected = p => p.evaluate(() => [...document.querySelectorAll('converse-controlbox converse-spinner')].some(e => e.getClientRects().length > 0));
    const lost = await until('a page to show it lost its connection', async () => {
        for (const p of [pa, pb]) if (await disconnected(p)) return p;
        return null;
    }, 15000, 50);
    const kept = lost === pa ? pb : pa;
    const [gone, stayed] = [lost.user, kept.user];
    step(`${gone}'s page lost its connection; ${stayed} keeps writing to it`);
    lost.result.whileDown = await converseStatus(lost);
    const meanwhile = [1, 2, 3].map(i => `${stayed} while ${gone} reconnects (${i})`);
    for (const text of meanwhile) await converseSay(kept, gone, text);
    await converseOnline(lost, 'losing its node', 40000);
    if (!(await lost.locator(`converse-chat[jid="${jid(stayed)}"] .chat-textarea`).isVisible())) await converseOpenChat(lost, stayed);
    const back = [1, 2].map(i => `${gone} is back (${i})`);
    for (const text of back) await converseSay(lost, stayed, text);
    const sentBy = { [a]: before, [b]: replies };
    sentBy[stayed] = [...sentBy[stayed], ...meanwhile];
    sentBy[gone] = [...sentBy[gone], ...back];
    await converseExpect(pb, a, sentBy[a], `every message from ${a}, once, in order`, 40000);
    await converseExpect(pa, b, sentBy[b], `every message from ${b}, once, in order`, 40000);
    for (const p of [pa, pb]) p.result.status = await converseStatus(p);
    result.lostConnection = gone;
    await shot(lost, 'after-failover');
}

// ---- the status page (Gateway:Status): reads what its charts drew, from window.statusPage ---------
async function statusPage() {
    const page = await newPage('operator');
    await page.setViewportSize({ width: 1100, height: 1020 }); // all six charts in the picture
    await page.goto(config.pageUrl);
    // Each chart's series as drawn, reduced to their largest point; the caller's clients have chatted
    // through the gateway over BOSH and WebSocket before this page opened, and are still connected.
    const largest = () => page.evaluate(() => {
        const drawn = window.statusPage?.drawn ?? {};
        return Object.fromEntries(Object.entries(drawn).map(([chart, series]) =>
            [chart, Object.fromEntries(Object.entries(series).map(([label, points]) => [label, Math.max(0, ...points)]))]));
    });
    try {
        await until('the status page to chart open sessions of both transports and stanzas both ways', async () => {
            const m = await largest();
            return m.sessions?.bosh > 0 && m.sessions?.websocket > 0 && m.stanzas?.['to server'] > 0 && m.stanzas?.['to client'] > 0;
        }, 30000, 250);
    } finally {
        page.result.largest = await largest();
        page.result.error = await page.evaluate(() => window.statusPage?.error ?? null);
    }
    page.result.draws = await page.evaluate(() => window.statusPage.draws);
    page.result.canvases = await page.$$eval('#charts canvas', cs => cs.length);
    page.result.problem = await page.$eval('#problem', p => (p.hidden ? null : p.textContent));
    step(`status page drew ${page.result.canvases} charts after ${page.result.draws} polls`);
    if (page.result.canvases < 2) throw new Error(`the status page drew ${page.result.canvases} charts (uPlot missing?): ${page.result.problem}`);
    await sleep(500); // let the last redraw settle before the picture
    await shot(page, 'status');
    if (result.blocked.length) throw new Error(`the status page asked for addresses beyond the gateway: ${result.blocked.join(', ')}`);
}

// ---- main ------------------------------------------------------------------------------------------
const watchdog = setTimeout(() => finish(false, `timed out after ${config.timeoutSeconds} s`), config.timeoutSeconds * 1000);
let server;
try {
    server = await servePages();
    browser = await launch();
    step(`Chromium ${browser.version()} started`);
    if (config.scenario === 'status') {
        await statusPage();
    } else if (config.library === 'converse') {
        const run = { chat: converseChat, discovery: converseChat, demo: converseChat, prebind: converseChat, reload: converseReload, restart: converseRestart, failover: converseFailover }[config.scenario];
        if (!run) throw new Error(`unknown scenario ${config.scenario}`);
        await run();
    } else if (config.scenario === 'chat') {
        await libraryChat();
    } else {
        throw new Error(`scenario ${config.scenario} is for Converse.js only`);
    }
    clearTimeout(watchdog);
    server.close();
    await finish(true);
} catch (e) {
    clearTimeout(watchdog);
    server?.close();
    await finish(false, String(e?.message ?? e));
}
