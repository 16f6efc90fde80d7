// Two StanzaJS clients log in through the gateway and exchange messages.
// Usage: node chat.mjs bosh|websocket URL DOMAIN USER_A USER_B [PASSWORD]
// Prints one JSON line with what each side received; exits 0 only if every message arrived once, in order.
import * as XMPP from 'stanza';

const [transport, url, domain, userA, userB, password = 'secret'] = process.argv.slice(2);
const COUNT = 10;
const deadline = setTimeout(() => fail('timed out'), 30000);

function fail(reason) {
    console.log(JSON.stringify({ ok: false, reason }));
    process.exit(1);
}

function connect(user) {
    const client = XMPP.createClient({
        jid: `${user}@${domain}`,
        password,
        resource: 'stanzajs',
        transports: transport === 'bosh' ? { websocket: false, bosh: url } : { websocket: url, bosh: false },
        // Over BOSH, StanzaJS takes answers in the order they arrive, not in rid order. When two
        // answers cross on the wire (a loaded machine), its XEP-0198 count goes wrong and the server
        // ends the stream. The gateway writes answers in rid order and spaces bursts, which makes this
        // rare, not impossible; so over BOSH this test checks login and chat without XEP-0198.
        useStreamManagement: transport !== 'bosh',
    });
    const received = [];
    const online = new Set();
    client.on('message', msg => { if (msg.body) received.push(msg.body); });
    client.on('available', pres => online.add(pres.from.split('/')[0]));
    const ready = new Promise((resolve, reject) => {
        client.on('session:started', () => { client.sendPresence(); resolve(); });
        client.on('auth:failed', () => reject(new Error(`${user}: auth failed`)));
        client.on('disconnected', () => reject(new Error(`${user}: disconnected before session start`)));
    });
    client.connect();
    return { client, received, ready, online };
}

try {
    const a = connect(userA);
    const b = connect(userB);
    await Promise.all([a.ready, b.ready]);
    // Messages to a bare JID reach only resources that have sent presence: wait until each side
    // sees the other online, or the first messages go to offline storage instead.
    const seen = Date.now() + 10000;
    while ((!a.online.has(`${userB}@${domain}`) || !b.online.has(`${userA}@${domain}`)) && Date.now() < seen) {
        await new Promise(r => setTimeout(r, 50));
    }
    for (let i = 0; i < COUNT; i++) {
        a.client.sendMessage({ to: `${userB}@${domain}`, type: 'chat', body: `from ${userA} ${i}` });
        b.client.sendMessage({ to: `${userA}@${domain}`, type: 'chat', body: `from ${userB} ${i}` });
    }
    const until = Date.now() + 15000;
    while ((a.received.length < COUNT || b.received.length < COUNT) && Date.now() < until) {
        await new Promise(r => setTimeout(r, 100));
    }
    await new Promise(r => setTimeout(r, 500));
    const expect = (user) => Array.from({ length: COUNT }, (_, i) => `from ${user} ${i}`);
    const ok = JSON.stringify(b.received) === JSON.stringify(expect(userA))
        && JSON.stringify(a.received) === JSON.stringify(expect(userB));
    console.log(JSON.stringify({ ok, atA: a.received, atB: b.received }));
    a.client.disconnect();
    b.client.disconnect();
    clearTimeout(deadline);
    setTimeout(() => process.exit(ok ? 0 : 1), 500);
} catch (e) {
    fail(String(e && e.message || e));
}
