// The status page: polls {Gateway:Status:Path}/data and redraws one uPlot chart per family. What it
// drew last is kept on window.statusPage (tests and curious operators read it from the console).
(() => {
    const settings = JSON.parse(document.getElementById('status-settings').textContent);
    const palette = ['#2f6fdf', '#e0782a', '#2a9d63', '#c0392b', '#8e44ad', '#16a0b4', '#b58b00', '#5d6d7e', '#d35493', '#1f8a70'];
    const charts = [
        { id: 'sessions', title: 'Open sessions, by transport', families: [['sessions', '']] },
        { id: 'stanzas', title: 'Stanzas per second, each way', families: [['stanzas', '']] },
        { id: 'started', title: 'Sessions started and refused, per sample', families: [['started', 'started '], ['rejected', 'refused ']] },
        { id: 'ended', title: 'Sessions ended, by reason, per sample', families: [['ended', '']] },
        { id: 'backend', title: 'Backend connects, by server, per sample', families: [['backendConnects', 'ok '], ['backendFailures', 'failed ']] },
        { id: 'forwarded', title: 'Requests for other nodes, by outcome, per sample', families: [['forwarded', '']] },
    ];
    const state = (window.statusPage = { settings, data: null, drawn: {}, draws: 0, polls: 0, error: null });
    const container = document.getElementById('charts');
    const problem = document.getElementById('problem');
    const views = new Map();

    function say(text) {
        problem.hidden = !text;
        problem.textContent = text || '';
    }

    if (!settings.chartLibrary || typeof window.uPlot !== 'function') {
        say('uPlot is missing beside the gateway: run npm ci --prefix src/BoshGateway/StatusPage and build again. The data is still at ' + settings.dataUrl + '.');
    }

    /** The series one chart shows: [label, points] pairs from its families. */
    function seriesOf(chart, data) {
        const out = [];
        for (const [family, prefix] of chart.families) {
            const f = data.families[family];
            if (!f) continue;
            for (const [key, points] of Object.entries(f.series)) out.push([prefix + key.replaceAll('_', ' '), points]);
        }
        return out;
    }

    function unitOf(chart, data) {
        return data.families[chart.families[0][0]]?.unit ?? '';
    }

    function view(chart) {
        let v = views.get(chart.id);
        if (!v) {
            const box = document.createElement('section');
            box.className = 'chart';
            box.id = 'chart-' + chart.id;
            const h = document.createElement('h2');
            h.textContent = chart.title;
            const empty = document.createElement('p');
            empty.className = 'empty';
            empty.textContent = 'nothing yet';
            const plot = document.createElement('div');
            box.append(h, empty, plot);
            container.append(box);
            v = { box, empty, plot, plotted: null, labels: '' };
            views.set(chart.id, v);
        }
        return v;
    }

    function draw(chart, data) {
        const v = view(chart);
        const series = seriesOf(chart, data);
        state.drawn[chart.id] = Object.fromEntries(series.map(([label, points]) => [label, points]));
        v.empty.hidden = series.length > 0;
        if (typeof window.uPlot !== 'function' || series.length === 0) return;
        const labels = series.map(s => s[0]).join('|');
        const columns = [data.time, ...series.map(s => s[1])];
        const width = Math.max(300, v.box.clientWidth - 16);
        if (v.plotted && v.labels === labels) {
            v.plotted.setData(columns);
            if (Math.abs(v.plotted.width - width) > 2) v.plotted.setSize({ width, height: 190 });
            return;
        }
        v.plotted?.destroy();
        v.labels = labels;
        v.plotted = new window.uPlot({
            width,
            height: 190,
            scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
            axes: [{}, { label: unitOf(chart, data), size: 56 }],
            series: [{}, ...series.map(([label], i) => ({ label, stroke: palette[i % palette.length], width: 1.5, points: { show: false } }))],
            legend: { live: false },
        }, columns, v.plot);
    }

    function last(points) {
        return points && points.length ? points[points.length - 1] : 0;
    }

    function tiles(data) {
        const s = data.families.sessions?.series ?? {};
        const st = data.families.stanzas?.series ?? {};
        const items = [
            ['BOSH sessions', last(s.bosh)],
            ['WebSocket sessions', last(s.websocket)],
            ['stanzas/s to server', last(st.to_server)],
            ['stanzas/s to client', last(st.to_client)],
        ];
        const now = document.getElementById('now');
        now.replaceChildren(...items.map(([label, value]) => {
            const tile = document.createElement('div');
            tile.className = 'tile';
            const b = document.createElement('b');
            b.textContent = Number.isInteger(value) ? String(value) : value.toFixed(1);
            const span = document.createElement('span');
            span.textContent = label;
            tile.append(b, span);
            return tile;
        }));
    }

    async function poll() {
        state.polls++;
        try {
            const response = await fetch(settings.dataUrl, { cache: 'no-store', credentials: 'same-origin' });
            if (!response.ok) throw new Error(`${settings.dataUrl} answered HTTP ${response.status}`);
            const data = await response.json();
            state.data = data;
            tiles(data);
            for (const chart of charts) draw(chart, data);
            state.draws++;
            state.error = null;
            const minutes = Math.round(data.historySeconds / 60);
            document.getElementById('updated').textContent =
                `last ${minutes} min, one point per ${data.intervalSeconds} s · updated ${new Date().toLocaleTimeString()}`;
            if (typeof window.uPlot === 'function') say('');
        } catch (e) {
            state.error = String(e?.message ?? e);
            say('Could not read the data: ' + state.error);
        } finally {
            setTimeout(poll, settings.pollMilliseconds);
        }
    }

    poll();
})();
