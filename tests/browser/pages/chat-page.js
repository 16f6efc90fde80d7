// The small API every library test page exposes as window.chat, for the Playwright runner:
//   await chat.connect({ transport, url, jid, password })   logs in and sends initial presence
//   chat.send(toBareJid, text)                              sends a chat message
//   chat.messages                                           [{ from, body }] in arrival order
//   chat.online(bareJid)                                    full JIDs of that user seen available
//   await chat.disconnect()                                 ends the stream cleanly
// Received messages are also shown in #messages: the runner asserts on what the page shows.
export const page = {
    library: '?',
    connectImpl: null,
    sendImpl: null,
    disconnectImpl: null,
    messages: [],
    presences: new Map(),
    setStatus(text) {
        document.getElementById('status').textContent = text;
    },
    received(from, body) {
        this.messages.push({ from, body });
        const li = document.createElement('li');
        li.className = 'message';
        li.textContent = `${from}: ${body}`;
        document.getElementById('messages').append(li);
    },
    presence(fullJid, available) {
        this.presences.set(fullJid, available);
    },
};

window.chat = {
    async connect(options) {
        page.setStatus(`connecting (${options.transport})`);
        await page.connectImpl(options);
        page.setStatus(`${options.jid} online over ${options.transport === 'bosh' ? 'BOSH' : 'WebSocket'}`);
        document.title = `${options.jid} - ${page.library}`;
    },
    send: (to, body) => page.sendImpl(to, body),
    get messages() { return page.messages; },
    online: bare => [...page.presences].filter(([jid, up]) => up && jid.split('/')[0] === bare).map(([jid]) => jid),
    async disconnect() {
        await page.disconnectImpl();
        page.setStatus('disconnected');
    },
};
