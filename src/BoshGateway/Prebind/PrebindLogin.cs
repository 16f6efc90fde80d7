using System.Security;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;
using BoshGateway.Bosh;
using BoshGateway.Configuration;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;
using BoshGateway.Sessions;

namespace BoshGateway.Prebind;

/// <summary>
/// Logs a user in inside a new BOSH session on the client's behalf, speaking to the session exactly as a
/// browser would (creation, SASL PLAIN with a login token the server trusts, restart, bind), one request
/// at a time, then leaves it for the client to attach to with the next rid. Nothing here bypasses the
/// session's rules: the same rid window, limits and end path as any client's session.
/// </summary>
internal sealed class PrebindLogin(BoshEndpoint bosh, GatewayOptions options, TimeProvider time)
{
    private const string SessionNs = "urn:ietf:params:xml:ns:xmpp-session";
    private static readonly TimeSpan ServerTokenLifetime = TimeSpan.FromSeconds(60);

    private string _sid = "";
    private long _rid;
    private BoshSession? _session;

    /// <summary>The session once logged in; otherwise an HTTP status and why (the session, if any, is ended).</summary>
    public async Task<PrebindOutcome> RunAsync(PrebindToken token, CancellationToken cancellationToken)
    {
        _rid = RandomNumberGenerator.GetInt32(1 << 20, int.MaxValue);
        try
        {
            var created = await OpenAsync(token.Domain, cancellationToken);
            if (created.Failure is { } refused)
            {
                return refused;
            }
            var features = await UntilAsync(created.Elements, e => e.Name == XName.Get("features", XmlNames.Streams), cancellationToken);
            if (!Offers(features, "PLAIN"))
            {
                return await FailAsync(StatusCodes.Status502BadGateway, "the server does not offer SASL PLAIN");
            }
            var auth = await ExchangeAsync(
                $"<auth xmlns='{XmlNames.Sasl}' mechanism='PLAIN'>{token.PlainResponse(ServerToken(token))}</auth>",
                e => e.Name.NamespaceName == XmlNames.Sasl && e.Name.LocalName is "success" or "failure", null, cancellationToken);
            if (auth.Name.LocalName == "failure")
            {
                var condition = auth.Elements().FirstOrDefault(e => e.Name.LocalName != "text")?.Name.LocalName ?? "failure";
                return await FailAsync(StatusCodes.Status502BadGateway, $"the server refused the login: {condition}");
            }
            features = await ExchangeAsync(null, e => e.Name == XName.Get("features", XmlNames.Streams), token.Domain, cancellationToken);
            var resource = token.Resource is { } r ? $"<resource>{SecurityElement.Escape(r)}</resource>" : "";
            var bound = await ExchangeAsync(
                $"<iq type='set' id='prebind-bind' xmlns='jabber:client'><bind xmlns='{XmlNames.Bind}'>{resource}</bind></iq>",
                e => e.Name.LocalName == "iq" && (string?)e.Attribute("id") == "prebind-bind", null, cancellationToken);
            var jid = bound.Element(XName.Get("bind", XmlNames.Bind))?.Element(XName.Get("jid", XmlNames.Bind))?.Value;
            if ((string?)bound.Attribute("type") != "result" || string.IsNullOrEmpty(jid))
            {
                return await FailAsync(StatusCodes.Status502BadGateway, "the server refused resource binding");
            }
            // RFC 3921 session establishment, only where a server still requires it (RFC 6121 made it optional).
            if (features.Element(XName.Get("session", SessionNs)) is { } session && session.Element(XName.Get("optional", SessionNs)) is null)
            {
                await ExchangeAsync(
                    $"<iq type='set' id='prebind-session' xmlns='jabber:client'><session xmlns='{SessionNs}'/></iq>",
                    e => e.Name.LocalName == "iq" && (string?)e.Attribute("id") == "prebind-session", null, cancellationToken);
            }
            return new PrebindOutcome(StatusCodes.Status200OK, null, jid, _sid, _rid + 1);
        }
        catch (OperationCanceledException)
        {
            return await FailAsync(StatusCodes.Status504GatewayTimeout, "the login did not finish within Gateway:Prebind:LoginTimeout");
        }
        catch (BoshProtocolException ex)
        {
            return await FailAsync(StatusCodes.Status502BadGateway, $"the session refused a login step: {ex.Condition}");
        }
        catch (XmlException ex)
        {
            return await FailAsync(StatusCodes.Status502BadGateway, $"an answer could not be read: {ex.Message}");
        }
        catch (SessionGone gone)
        {
            return new PrebindOutcome(StatusCodes.Status502BadGateway, gone.Message, null, null, 0);
        }
    }

    /// <summary>The short-lived token the server checks as the user's password (ejabberd <c>jwt</c> auth: claim <c>jid</c>, <c>exp</c>).</summary>
    private string ServerToken(PrebindToken token)
    {
        var expires = time.GetUtcNow().Add(ServerTokenLifetime).ToUnixTimeSeconds();
        var claims = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["jid"] = token.BareJid, ["exp"] = expires });
        return HmacJwt.Sign(options.Prebind.ServerKey!, claims);
    }

    private async Task<(List<XElement> Elements, PrebindOutcome? Failure)> OpenAsync(string domain, CancellationToken cancellationToken)
    {
        var wait = (int)options.Bosh.MaxWait.TotalSeconds;
        var body = Parse($"<body rid='{_rid}' to='{SecurityElement.Escape(domain)}' xml:lang='en' wait='{wait}' hold='1' ver='1.11' xmpp:version='1.0' xmlns:xmpp='{XmlNames.XBosh}' xmlns='{XmlNames.HttpBind}'/>");
        var reply = await bosh.OpenAsync(body, cancellationToken);
        if (reply.Answer is not { } answer)
        {
            return ([], new PrebindOutcome(StatusCodes.Status503ServiceUnavailable, "the gateway cannot open a session now", null, null, 0) { RetryAfter = reply.RetryAfter });
        }
        answer.MarkWritten(time);
        var root = ParseAnswer(answer.Body);
        if ((string?)root.Attribute("type") == "terminate" || (string?)root.Attribute("sid") is not { } sid || !bosh.TryGetSession(sid, out var session))
        {
            return ([], new PrebindOutcome(StatusCodes.Status502BadGateway, $"the server could not be reached: {(string?)root.Attribute("condition") ?? "no session"}", null, null, 0));
        }
        _sid = sid;
        _session = session;
        return (root.Elements().ToList(), null);
    }

    /// <summary>Sends <paramref name="payload"/> (then empty polls) until an element matching <paramref name="wanted"/> arrives.</summary>
    private async Task<XElement> ExchangeAsync(string? payload, Func<XElement, bool> wanted, string? restart, CancellationToken cancellationToken)
    {
        var elements = await SendAsync(payload, restart, cancellationToken);
        return await UntilAsync(elements, wanted, cancellationToken);
    }

    private async Task<XElement> UntilAsync(List<XElement> elements, Func<XElement, bool> wanted, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (elements.FirstOrDefault(wanted) is { } found)
            {
                return found;
            }
            elements = await SendAsync(null, null, cancellationToken);
        }
    }

    private async Task<List<XElement>> SendAsync(string? payload, string? restart, CancellationToken cancellationToken)
    {
        _rid++;
        var attributes = restart is null ? "" : $" to='{SecurityElement.Escape(restart)}' xml:lang='en' xmpp:restart='true'";
        var body = Parse($"<body rid='{_rid}' sid='{_sid}'{attributes} xmlns:xmpp='{XmlNames.XBosh}' xmlns='{XmlNames.HttpBind}'>{payload}</body>");
        var answer = await bosh.HandleLocalAsync(_session!, body, cancellationToken);
        answer.MarkWritten(time);
        var root = ParseAnswer(answer.Body);
        if ((string?)root.Attribute("type") == "terminate")
        {
            throw new SessionGone($"the session ended during the login: {(string?)root.Attribute("condition") ?? "terminate"}");
        }
        cancellationToken.ThrowIfCancellationRequested();
        return root.Elements().ToList();
    }

    /// <summary>Ends the half-made session (the client will never attach to it) and reports why.</summary>
    private async Task<PrebindOutcome> FailAsync(int status, string error)
    {
        if (_session is { } session)
        {
            try
            {
                _rid++;
                var answer = await bosh.HandleLocalAsync(session, Parse($"<body rid='{_rid}' sid='{_sid}' type='terminate' xmlns='{XmlNames.HttpBind}'/>"), CancellationToken.None);
                answer.MarkWritten(time);
            }
            catch (BoshProtocolException)
            {
                session.EndUnplanned(SessionEndReason.Error);
            }
        }
        return new PrebindOutcome(status, error, null, null, 0);
    }

    private static bool Offers(XElement features, string mechanism)
        => features.Element(XName.Get("mechanisms", XmlNames.Sasl))?.Elements(XName.Get("mechanism", XmlNames.Sasl)).Any(m => m.Value == mechanism) == true;

    private BoshBody Parse(string xml) => BoshBodyParser.Parse(Encoding.UTF8.GetBytes(xml), options.Limits);

    /// <summary>The gateway's own answer (well-formed, no DTD); read with the framework's reader, DTDs refused.</summary>
    private static XElement ParseAnswer(byte[] body)
    {
        using var stream = new MemoryStream(body, writable: false);
        using var reader = XmlReader.Create(stream, new XmlReaderSettings { DtdProcessing = DtdProcessing.Prohibit, XmlResolver = null });
        return XElement.Load(reader);
    }

    private sealed class SessionGone(string message) : Exception(message);
}

/// <summary>The answer to a prebind request: 200 with the session to attach to, or a status and why.</summary>
internal sealed record PrebindOutcome(int Status, string? Error, string? Jid, string? Sid, long Rid)
{
    public string? RetryAfter { get; init; }
}
