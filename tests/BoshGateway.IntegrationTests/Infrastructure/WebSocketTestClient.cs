using System.Net.WebSockets;
using System.Text;
using System.Xml.Linq;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.IntegrationTests.Infrastructure;

/// <summary>An RFC 7395 client for tests: one element per text message, as browser libraries send them.</summary>
public sealed class WebSocketTestClient : IAsyncDisposable
{
    public static readonly XNamespace Client = XmlNames.JabberClient;
    private static readonly XNamespace Sasl = XmlNames.Sasl;
    private readonly ClientWebSocket _socket = new();
    private readonly List<string> _received = [];

    public WebSocketTestClient(string? subProtocol = "xmpp", string? origin = null, System.Security.Cryptography.X509Certificates.X509Certificate2? trustedCertificate = null)
    {
        if (subProtocol is not null)
        {
            _socket.Options.AddSubProtocol(subProtocol);
        }
        if (origin is not null)
        {
            _socket.Options.SetRequestHeader("Origin", origin);
        }
        if (trustedCertificate is not null)
        {
            // The test's own self-signed certificate, and only that one.
            _socket.Options.RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && certificate.GetCertHashString() == trustedCertificate.GetCertHashString();
        }
    }

    public ClientWebSocket Socket => _socket;

    public string? Jid { get; private set; }

    public string Domain { get; private set; } = "localhost";

    /// <summary>Every text message received so far, in order.</summary>
    public IReadOnlyList<string> Received => _received;

    public Task ConnectAsync(Uri url) => _socket.ConnectAsync(url, CancellationToken.None);

    public Task SendAsync(string xml) => _socket.SendAsync(Encoding.UTF8.GetBytes(xml), WebSocketMessageType.Text, true, CancellationToken.None);

    /// <summary>The next text message, or null when the server closed the WebSocket.</summary>
    public async Task<string?> ReceiveAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        var buffer = new byte[64 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            var result = await _socket.ReceiveAsync(buffer, cts.Token);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                return null;
            }
            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                var text = Encoding.UTF8.GetString(message.ToArray());
                _received.Add(text);
                return text;
            }
        }
    }

    /// <summary>Receives until a message parses to an element matching <paramref name="match"/>.</summary>
    public async Task<XElement> WaitForAsync(Func<XElement, bool> match, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(20));
        while (true)
        {
            var left = deadline - DateTime.UtcNow;
            Assert.True(left > TimeSpan.Zero, "timed out; received: " + string.Join("\n", _received));
            var text = await ReceiveAsync(left);
            Assert.True(text is not null, "the server closed the WebSocket; received: " + string.Join("\n", _received));
            var element = XElement.Parse(text);
            if (match(element))
            {
                return element;
            }
        }
    }

    public Task OpenStreamAsync(string domain)
    {
        Domain = domain;
        return SendAsync($"<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='{domain}' version='1.0' xml:lang='en'/>");
    }

    /// <summary>Connects, authenticates and binds <paramref name="resource"/>; with <paramref name="bind"/> false it stops at the features after SASL (to resume an XEP-0198 session instead).</summary>
    public async Task LoginAsync(Uri url, string domain, string user, string password = "secret", string mechanism = "PLAIN", string resource = "ws", bool bind = true)
    {
        await ConnectAsync(url);
        Assert.Equal("xmpp", _socket.SubProtocol);
        await OpenStreamAsync(domain);
        var open = await WaitForAsync(_ => true);
        Assert.Equal(XName.Get("open", XmlNames.Framing), open.Name);
        Assert.Equal("1.0", (string?)open.Attribute("version"));
        await WaitForAsync(e => e.Name == XName.Get("features", XmlNames.Streams));
        if (mechanism == "PLAIN")
        {
            await SendAsync($"<auth xmlns='{XmlNames.Sasl}' mechanism='PLAIN'>{Convert.ToBase64String(Encoding.UTF8.GetBytes($"\0{user}\0{password}"))}</auth>");
            Assert.Equal(Sasl + "success", (await WaitForAsync(e => e.Name.Namespace == Sasl)).Name);
        }
        else
        {
            var scram = new ScramSha1Client(user, password);
            await SendAsync($"<auth xmlns='{XmlNames.Sasl}' mechanism='SCRAM-SHA-1'>{scram.First()}</auth>");
            var challenge = await WaitForAsync(e => e.Name.Namespace == Sasl);
            Assert.Equal(Sasl + "challenge", challenge.Name);
            await SendAsync($"<response xmlns='{XmlNames.Sasl}'>{scram.Final(challenge.Value)}</response>");
            var success = await WaitForAsync(e => e.Name.Namespace == Sasl);
            Assert.Equal(Sasl + "success", success.Name);
            scram.Verify(success.Value);
        }
        await OpenStreamAsync(domain);
        await WaitForAsync(e => e.Name == XName.Get("open", XmlNames.Framing));
        await WaitForAsync(e => e.Name == XName.Get("features", XmlNames.Streams));
        if (!bind)
        {
            return;
        }
        await SendAsync($"<iq xmlns='jabber:client' type='set' id='bind1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>{resource}</resource></bind></iq>");
        var bound = await WaitForAsync(e => (string?)e.Attribute("id") == "bind1");
        Jid = bound.Descendants(XName.Get("jid", "urn:ietf:params:xml:ns:xmpp-bind")).Single().Value;
        await SendAsync("<presence xmlns='jabber:client'/>");
        // The server handles a stream's stanzas in order: once it answers an iq sent after the initial
        // presence, this resource is available. Until then a message to the bare JID finds no available
        // resource and goes to offline storage; ejabberd (one process per stream) can store it just after
        // the presence handler emptied the storage, and it is never delivered in this session.
        await SendAsync($"<iq xmlns='jabber:client' type='get' id='presence-done' to='{domain}'><ping xmlns='urn:xmpp:ping'/></iq>");
        await WaitForAsync(e => (string?)e.Attribute("id") == "presence-done");
    }

    public Task SendMessageAsync(string to, string text) =>
        SendAsync($"<message xmlns='jabber:client' to='{to}' type='chat' id='{Guid.NewGuid():N}'><body>{text}</body></message>");

    /// <summary>Reads message bodies that start with <paramref name="prefix"/> until <paramref name="count"/> arrived (each within <paramref name="timeout"/>, 20 s by default).</summary>
    public async Task<List<string>> MessagesAsync(string prefix, int count, TimeSpan? timeout = null)
    {
        var bodies = new List<string>();
        while (bodies.Count < count)
        {
            var message = await WaitForAsync(e => e.Name == Client + "message" && (e.Element(Client + "body")?.Value.StartsWith(prefix, StringComparison.Ordinal) ?? false), timeout);
            bodies.Add(message.Element(Client + "body")!.Value);
        }
        return bodies;
    }

    public async ValueTask DisposeAsync()
    {
        if (_socket.State == WebSocketState.Open)
        {
            try
            {
                using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await _socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, cts.Token);
            }
            catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
            {
            }
        }
        _socket.Dispose();
    }
}
