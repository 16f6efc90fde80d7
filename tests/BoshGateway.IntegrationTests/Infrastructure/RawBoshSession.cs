using System.Globalization;
using System.Text;
using System.Xml.Linq;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>
/// A minimal BOSH session over <see cref="RawBoshRequest"/>s: one request at a time, each on a new
/// connection, every one bounded by the caller's token. For stress tests that need hundreds of sessions
/// from one process without a thread or an HttpClient each, and that drop requests on purpose.
/// </summary>
internal sealed class RawBoshSession(Uri url, string domain)
{
    private static readonly XNamespace Sasl = XmlNames.Sasl;
    private static readonly XName Features = XName.Get("features", XmlNames.Streams);
    private long _rid = Random.Shared.NextInt64(1L << 40, 1L << 50);

    public Uri Url { get; } = url;

    public string Domain { get; } = domain;

    public string? Sid { get; private set; }

    public string? Jid { get; private set; }

    /// <summary>Elements received by <see cref="WaitForAsync"/> but not taken yet.</summary>
    public List<XElement> Inbox { get; } = [];

    public long NextRid() => Interlocked.Increment(ref _rid);

    /// <summary>
    /// A rid sent whose answer never came (the request was dropped, or its send failed). As Strophe.js does,
    /// the next request resends it rather than moving on: the gateway may not have read it, and a rid gap
    /// would hold every later request.
    /// </summary>
    public long? Unanswered { get; set; }

    /// <summary>The rid of the next request: the unanswered one again, else a new one.</summary>
    public long RidForNextRequest() => Unanswered ?? NextRid();

    /// <summary>Resends the unanswered rid, if any, until it is answered (each answer comes within the session's wait).</summary>
    public async Task SettleAsync(CancellationToken cancellationToken)
    {
        if (Unanswered is { } rid)
        {
            await ExchangeAsync(Body(rid), cancellationToken);
            Unanswered = null;
        }
    }

    /// <summary>The XML of a request body on <paramref name="rid"/> for this session.</summary>
    public string Body(long rid, string attributes = "", string children = "")
        => string.Create(CultureInfo.InvariantCulture,
            $"<body rid='{rid}' sid='{Sid}' {attributes} xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'>{children}</body>");

    public async Task<XElement> CreateAsync(int wait, int hold, CancellationToken cancellationToken)
    {
        var xml = string.Create(CultureInfo.InvariantCulture,
            $"<body rid='{NextRid()}' to='{Domain}' xml:lang='en' wait='{wait}' hold='{hold}' ver='1.6' xmpp:version='1.0' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'/>");
        var body = await ExchangeAsync(xml, cancellationToken);
        Sid = (string?)body.Attribute("sid") ?? throw new InvalidOperationException("no sid in " + body);
        Inbox.AddRange(body.Elements());
        return body;
    }

    /// <summary>Sends one request on the next rid and returns its answer (which must be HTTP 200).</summary>
    public Task<XElement> PostAsync(string attributes, string children, CancellationToken cancellationToken)
        => ExchangeAsync(Body(NextRid(), attributes, children), cancellationToken);

    public async Task<XElement> ExchangeAsync(string xml, CancellationToken cancellationToken)
    {
        using var request = await RawBoshRequest.SendAsync(Url, xml, cancellationToken);
        var (status, text) = await request.ReadAnswerAsync(cancellationToken);
        if (status != 200)
        {
            throw new InvalidOperationException($"HTTP {status}: {text}");
        }
        return XElement.Parse(text);
    }

    /// <summary>Polls (one request at a time) until an element matching <paramref name="match"/> arrives; removes and returns it.</summary>
    public async Task<XElement> WaitForAsync(Func<XElement, bool> match, CancellationToken cancellationToken)
    {
        while (true)
        {
            var found = Inbox.FirstOrDefault(match);
            if (found is not null)
            {
                Inbox.Remove(found);
                return found;
            }
            await SendAsync("", "", cancellationToken);
        }
    }

    private async Task SendAsync(string attributes, string children, CancellationToken cancellationToken)
    {
        var body = await PostAsync(attributes, children, cancellationToken);
        if ((string?)body.Attribute("type") == "terminate")
        {
            throw new InvalidOperationException("session terminated: " + body);
        }
        Inbox.AddRange(body.Elements());
    }

    /// <summary>Creates the session and logs in with SASL PLAIN, binds resource <c>stress</c> and sends presence.</summary>
    public async Task LoginAsync(string user, int wait, int hold, CancellationToken cancellationToken, string password = "secret")
    {
        await CreateAsync(wait, hold, cancellationToken);
        await WaitForAsync(e => e.Name == Features, cancellationToken);
        var token = Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"));
        await SendAsync("", $"<auth xmlns='{XmlNames.Sasl}' mechanism='PLAIN'>{token}</auth>", cancellationToken);
        var outcome = await WaitForAsync(e => e.Name == Sasl + "success" || e.Name == Sasl + "failure", cancellationToken);
        if (outcome.Name != Sasl + "success")
        {
            throw new InvalidOperationException("SASL failed: " + outcome);
        }
        await SendAsync($"xmpp:restart='true' to='{Domain}' xml:lang='en'", "", cancellationToken);
        await WaitForAsync(e => e.Name == Features && e.Element(XName.Get("bind", "urn:ietf:params:xml:ns:xmpp-bind")) is not null, cancellationToken);
        await SendAsync("", "<iq type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>stress</resource></bind></iq>", cancellationToken);
        var bound = await WaitForAsync(e => (string?)e.Attribute("id") == "bind1", cancellationToken);
        Jid = bound.Descendants(XName.Get("jid", "urn:ietf:params:xml:ns:xmpp-bind")).Single().Value;
        await SendAsync("", "<presence/>", cancellationToken);
        Inbox.Clear();
    }
}
