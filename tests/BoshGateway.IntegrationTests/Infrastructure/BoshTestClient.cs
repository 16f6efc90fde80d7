using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>
/// A BOSH client written from XEP-0124/0206 for tests: like browser libraries it keeps one long-poll
/// outstanding (once <see cref="StartPolling"/> is called) and sends payloads on a second request.
/// Every element any response carries lands in <see cref="Inbox"/>, in order.
/// </summary>
public sealed class BoshTestClient : IAsyncDisposable
{
    public static readonly XNamespace HttpBind = XmlNames.HttpBind;
    public static readonly XNamespace Client = XmlNames.JabberClient;
    public static readonly XNamespace Sasl = XmlNames.Sasl;

    private readonly HttpClient _http;
    private readonly Uri _url;
    private readonly Lock _sync = new();
    private readonly List<XElement> _inbox = [];
    private readonly SemaphoreSlim _arrived = new(0);
    private long _rid = Random.Shared.NextInt64(1L << 40, 1L << 50);
    private long _nextToRecord;
    private readonly SortedDictionary<long, XElement> _outOfOrder = [];
    private CancellationTokenSource? _polling;
    private Task _pollLoop = Task.CompletedTask;
    private volatile bool _disposing;

    public BoshTestClient(Uri url, string domain, HttpMessageHandler? handler = null)
    {
        _url = url;
        Domain = domain;
        _http = handler is null ? new HttpClient { Timeout = TimeSpan.FromSeconds(90) } : new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(90) };
    }

    public string Domain { get; }

    /// <summary>Resend the same request this many times on HTTP 502/503/504, as Strophe.js and StanzaJS do (any 5xx). Default 0.</summary>
    public int RetriesOnUnavailable { get; init; }

    /// <summary>How many 5xx answers were resent.</summary>
    public int UnavailableAnswers => _unavailable;

    private int _unavailable;

    public string? Sid { get; private set; }

    public XElement? CreationResponse { get; private set; }

    /// <summary>The first terminate body received, if any.</summary>
    public XElement? Terminate
    {
        get
        {
            lock (_sync)
            {
                return _terminates.Count > 0 ? _terminates[0] : null;
            }
        }
    }

    /// <summary>Every terminate body received, in arrival order.</summary>
    private readonly List<XElement> _terminates = [];

    public string? Jid { get; private set; }

    /// <summary>Why the poll loop stopped, if it failed (reported by <see cref="WaitForAsync"/>, <see cref="WaitForTerminateAsync(TimeSpan)"/> and <see cref="StopPollingAsync"/>).</summary>
    public Exception? PollFailure { get; private set; }

    public long LastRid => Interlocked.Read(ref _rid);

    public IReadOnlyList<XElement> Inbox
    {
        get
        {
            lock (_sync)
            {
                return [.. _inbox];
            }
        }
    }

    /// <summary>Creates the session (no polling yet).</summary>
    public async Task<XElement> CreateAsync(int wait = 10, int hold = 1, string extra = "")
    {
        _nextToRecord = LastRid + 1;
        var body = await PostAsync(NextRid(), $"to='{Domain}' xml:lang='en' wait='{wait}' hold='{hold}' ver='1.6' xmpp:version='1.0' {extra}", "", withSid: false);
        CreationResponse = body;
        Sid = (string?)body.Attribute("sid");
        return body;
    }

    /// <summary>Takes over a session someone else opened and logged in (token prebind, Strophe.js's <c>attach</c>): the next request uses <paramref name="rid"/>.</summary>
    public void Attach(string sid, long rid, string jid)
    {
        Sid = sid;
        Jid = jid;
        Interlocked.Exchange(ref _rid, rid - 1);
        _nextToRecord = rid;
    }

    /// <summary>Creates the session, logs in, restarts, binds a resource and sends initial presence.</summary>
    public async Task LoginAsync(string user, string password = "secret", string mechanism = "PLAIN", string resource = "test", int wait = 10)
    {
        await CreateAsync(wait);
        Assert.True(Sid is not null, "no sid in " + CreationResponse);
        StartPolling();
        await WaitForAsync(e => e.Name == XName.Get("features", XmlNames.Streams));
        if (mechanism == "PLAIN")
        {
            var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
            await SendAsync($"<auth xmlns='{XmlNames.Sasl}' mechanism='PLAIN'>{token}</auth>");
        }
        else
        {
            await ScramSha1Async(user, password);
        }
        var outcome = await WaitForAsync(e => e.Name == Sasl + "success" || e.Name == Sasl + "failure");
        Assert.True(outcome.Name == Sasl + "success", "SASL failed: " + outcome);
        await SendAsync("", $"xmpp:restart='true' to='{Domain}' xml:lang='en'");
        await WaitForAsync(e => e.Name == XName.Get("features", XmlNames.Streams) && e.Element(XName.Get("bind", "urn:ietf:params:xml:ns:xmpp-bind")) is not null);
        await SendAsync($"<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>{resource}</resource></bind></iq>");
        var bound = await WaitForAsync(e => (string?)e.Attribute("id") == "bind1");
        Jid = bound.Descendants(XName.Get("jid", "urn:ietf:params:xml:ns:xmpp-bind")).Single().Value;
        await SendAsync("<presence/>");
        // Returns once the server has made this resource available (see WebSocketTestClient.LoginAsync):
        // it answers an iq sent after the presence only after handling the presence.
        await SendAsync($"<iq type='get' id='presence-done' to='{Domain}'><ping xmlns='urn:xmpp:ping'/></iq>");
        await WaitForAsync(e => (string?)e.Attribute("id") == "presence-done");
    }

    private async Task ScramSha1Async(string user, string password)
    {
        var scram = new ScramSha1Client(user, password);
        await SendAsync($"<auth xmlns='{XmlNames.Sasl}' mechanism='SCRAM-SHA-1'>{scram.First()}</auth>");
        var challenge = await WaitForAsync(e => e.Name == Sasl + "challenge" || e.Name == Sasl + "failure");
        Assert.Equal(Sasl + "challenge", challenge.Name);
        await SendAsync($"<response xmlns='{XmlNames.Sasl}'>{scram.Final(challenge.Value)}</response>");
        var success = await WaitForAsync(e => e.Name == Sasl + "success" || e.Name == Sasl + "failure", remove: false);
        if (success.Name == Sasl + "success")
        {
            scram.Verify(success.Value);
        }
    }

    /// <summary>Keeps one empty request outstanding until stopped or the session ends.</summary>
    public void StartPolling()
    {
        _polling = new CancellationTokenSource();
        var token = _polling.Token;
        _pollLoop = Task.Run(async () =>
        {
            while (!token.IsCancellationRequested && Terminate is null)
            {
                try
                {
                    await PostAsync(NextRid(), "", "");
                }
                catch (Exception ex)
                {
                    // The poll is not tied to the token: stopping lets the outstanding poll finish, so its
                    // failure (a 5xx, a broken body, a dropped connection) is real. Only disposal cuts it short.
                    if (!_disposing)
                    {
                        PollFailure = ex;
                    }
                    _arrived.Release();
                    return;
                }
            }
        }, CancellationToken.None);
    }

    /// <summary>Stops polling after the outstanding poll returns; fails the test if a poll failed.</summary>
    public async Task StopPollingAsync()
    {
        if (_polling is not null)
        {
            await _polling.CancelAsync();
            await _pollLoop;
        }
        if (PollFailure is { } failure)
        {
            Assert.Fail("polling failed: " + failure);
        }
    }

    /// <summary>Sends payload (and wrapper attributes) on a new rid; returns the response body.</summary>
    public Task<XElement> SendAsync(string children, string attributes = "", Uri? via = null) => PostAsync(NextRid(), attributes, children, via: via);

    public long NextRid() => Interlocked.Increment(ref _rid);

    /// <summary>Posts one body with an explicit rid. Elements of the answer go to the inbox.</summary>
    /// <remarks><paramref name="via"/> sends this one request to another URL (another node of a cluster).</remarks>
    public async Task<XElement> PostAsync(long rid, string attributes, string children, bool withSid = true, Uri? via = null)
    {
        var sid = withSid ? $"sid='{Sid}' " : "";
        var xml = $"<body rid='{rid}' {sid}{attributes} xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'>{children}</body>";
        var text = await PostRawAsync(xml, via);
        var body = XElement.Parse(text);
        Record(rid, body);
        return body;
    }

    /// <summary>Posts raw bytes as the body; returns the response text (status must be 200).</summary>
    public async Task<string> PostRawAsync(string xml, Uri? via = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var content = new StringContent(xml, Encoding.UTF8);
            content.Headers.ContentType = new MediaTypeHeaderValue("text/xml") { CharSet = "utf-8" };
            using var response = await _http.PostAsync(via ?? _url, content);
            if ((int)response.StatusCode is 502 or 503 or 504 && attempt < RetriesOnUnavailable)
            {
                Interlocked.Increment(ref _unavailable);
                await Task.Delay(250);
                continue;
            }
            return await ReadAnswerAsync(response);
        }
    }

    private static async Task<string> ReadAnswerAsync(HttpResponseMessage response)
    {
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/xml; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        return await response.Content.ReadAsStringAsync();
    }

    /// <summary>Takes in answers in rid order, as a client must: they may arrive in any order over two connections.</summary>
    private void Record(long rid, XElement body)
    {
        lock (_sync)
        {
            if ((string?)body.Attribute("type") == "terminate")
            {
                _terminates.Add(body);
            }
            if (rid < _nextToRecord)
            {
                return; // a replayed answer, already taken in
            }
            _outOfOrder[rid] = body;
            while (_outOfOrder.Remove(_nextToRecord, out var next))
            {
                _inbox.AddRange(next.Elements());
                _nextToRecord++;
            }
        }
        _arrived.Release();
    }

    /// <summary>Waits until an element matching <paramref name="match"/> is in the inbox; removes and returns it.</summary>
    public async Task<XElement> WaitForAsync(Func<XElement, bool> match, TimeSpan? timeout = null, bool remove = true)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            lock (_sync)
            {
                var found = _inbox.FirstOrDefault(match);
                if (found is not null)
                {
                    if (remove)
                    {
                        _inbox.Remove(found);
                    }
                    return found;
                }
                if (Terminate is not null)
                {
                    Assert.Fail("session terminated while waiting: " + Terminate);
                }
                if (PollFailure is not null)
                {
                    Assert.Fail("polling failed while waiting: " + PollFailure);
                }
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                Assert.Fail("timed out waiting; inbox: " + string.Join("\n", Inbox));
            }
            await _arrived.WaitAsync(left);
        }
    }

    /// <summary>
    /// Waits until one of this client's requests is answered with a terminate carrying <paramref name="condition"/>.
    /// With two requests out when the session ends from the server's side, the one the gateway holds gets the
    /// session's condition, and the other, arriving once the session is gone, <c>item-not-found</c> (XEP-0124:
    /// an unknown sid); over two connections either answer may arrive first.
    /// </summary>
    public Task<XElement> WaitForTerminateAsync(TimeSpan timeout, string condition) =>
        WaitForTerminateAsync(timeout, t => (string?)t.Attribute("condition") == condition, $" with {condition}");

    /// <summary>Waits for a terminate body (from any request).</summary>
    public Task<XElement> WaitForTerminateAsync(TimeSpan timeout) => WaitForTerminateAsync(timeout, _ => true, "");

    private async Task<XElement> WaitForTerminateAsync(TimeSpan timeout, Func<XElement, bool> match, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            lock (_sync)
            {
                if (_terminates.FirstOrDefault(match) is { } found)
                {
                    return found;
                }
            }
            if (PollFailure is { } failure)
            {
                Assert.Fail("polling failed while waiting for a terminate: " + failure);
            }
            var left = deadline - DateTime.UtcNow;
            if (left <= TimeSpan.Zero)
            {
                lock (_sync)
                {
                    Assert.Fail($"no terminate{what} within {timeout}; got: {string.Join(" ", _terminates)}");
                }
            }
            await _arrived.WaitAsync(left);
        }
    }

    public async Task SendMessageAsync(string to, string text, string? id = null, Uri? via = null)
        => await SendAsync($"<message to='{to}' type='chat' id='{id ?? Guid.NewGuid().ToString("N")}'><body>{text}</body></message>", via: via);

    /// <remarks>Idempotent: a test may end the session itself and still hold the client in an await using.</remarks>
    public async ValueTask DisposeAsync()
    {
        if (_disposing)
        {
            return;
        }
        if (Terminate is null && Sid is not null)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await PostAsync(NextRid(), "type='terminate'", "<presence type='unavailable'/>");
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or Xunit.Sdk.XunitException)
            {
                // Best effort: the session may be gone already.
            }
        }
        _disposing = true;
        if (_polling is not null)
        {
            await _polling.CancelAsync();
        }
        _http.Dispose();
    }
}
