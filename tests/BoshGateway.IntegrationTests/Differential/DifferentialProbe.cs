using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.IntegrationTests.Differential;

/// <summary>
/// Sends one hostile input to a BOSH or WebSocket endpoint and reduces the answer to a short outcome
/// that two implementations can be compared on: <c>HTTP 403</c>, <c>terminate:bad-request</c>,
/// <c>ok</c> (an ordinary body), <c>error:restricted-xml close:1000</c>, <c>close:1003</c>, <c>open</c>
/// (the WebSocket was neither closed nor sent a stream error within the probe's wait).
/// </summary>
internal sealed class DifferentialProbe(Uri bosh, Uri webSocket, string domain)
{
    private static readonly TimeSpan WebSocketWait = TimeSpan.FromSeconds(3);

    public string Domain => domain;

    /// <summary>A session-creation body's attributes for this endpoint's domain.</summary>
    public string Creation(long rid, string extra = "") =>
        $"rid='{rid}' to='{domain}' xml:lang='en' wait='2' hold='1' ver='1.6' xmpp:version='1.0' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'{extra}";

    public Task<string> PostAsync(string xml, string contentType = "text/xml; charset=utf-8", string? origin = null) =>
        SendAsync(HttpMethod.Post, Encoding.UTF8.GetBytes(xml), contentType, origin);

    public async Task<string> SendAsync(HttpMethod method, byte[]? body, string contentType = "text/xml; charset=utf-8", string? origin = null)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        using var request = new HttpRequestMessage(method, bosh);
        if (body is not null)
        {
            request.Content = new ByteArrayContent(body);
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }
        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request);
        }
        catch (TaskCanceledException)
        {
            return "no answer in 10 s";
        }
        catch (HttpRequestException ex)
        {
            return ex.HttpRequestError == HttpRequestError.ResponseEnded ? "connection closed, no answer" : $"HTTP failure ({ex.HttpRequestError})";
        }
        using var owned = response;
        if (response.StatusCode != HttpStatusCode.OK || method != HttpMethod.Post)
        {
            return $"HTTP {(int)response.StatusCode}";
        }
        return Outcome(await response.Content.ReadAsStringAsync());
    }

    /// <summary>Creates a session, then sends the body <paramref name="next"/> makes of its sid and next rid.</summary>
    public Task<string> InSessionAsync(Func<string, long, string> next, string creationExtra = "") =>
        InSessionBytesAsync((sid, rid) => Encoding.UTF8.GetBytes(next(sid, rid)), creationExtra);

    /// <summary>As <see cref="InSessionAsync"/>, for a body that is not valid UTF-8.</summary>
    public async Task<string> InSessionBytesAsync(Func<string, long, byte[]> next, string creationExtra = "")
    {
        var rid = Random.Shared.NextInt64(1_000_000, 1_000_000_000);
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(20) };
        using var content = new StringContent($"<body {Creation(rid, creationExtra)}/>", Encoding.UTF8, "text/xml");
        using var created = await http.PostAsync(bosh, content);
        var sid = (string?)XElement.Parse(await created.Content.ReadAsStringAsync()).Attribute("sid")
            ?? throw new InvalidOperationException("no session was created at " + bosh);
        try
        {
            return await SendAsync(HttpMethod.Post, next(sid, rid + 1));
        }
        finally
        {
            // End what is left, so no session lingers on either side. The hostile request may have been
            // refused before its rid was read: then rid + 1 ends the session, and rid + 2 alone would
            // wait on the gap. If it was read, rid + 1 is a repeat (answered again) and rid + 2 ends it.
            await PostAsync($"<body rid='{rid + 1}' sid='{sid}' type='terminate' xmlns='http://jabber.org/protocol/httpbind'/>");
            await PostAsync($"<body rid='{rid + 2}' sid='{sid}' type='terminate' xmlns='http://jabber.org/protocol/httpbind'/>");
        }
    }

    /// <summary>Opens a WebSocket (subprotocol <paramref name="subProtocol"/>), sends <paramref name="open"/> if given, then <paramref name="message"/>.</summary>
    public async Task<string> WebSocketAsync(string? open, string? message, string? subProtocol = "xmpp", byte[]? binary = null, string? origin = null)
    {
        using var socket = new ClientWebSocket();
        socket.Options.CollectHttpResponseDetails = true;
        if (origin is not null)
        {
            socket.Options.SetRequestHeader("Origin", origin);
        }
        if (subProtocol is not null)
        {
            socket.Options.AddSubProtocol(subProtocol);
        }
        try
        {
            await socket.ConnectAsync(webSocket, CancellationToken.None);
        }
        catch (WebSocketException)
        {
            return $"HTTP {(int)socket.HttpStatusCode}";
        }
        if (open is not null)
        {
            await SendTextAsync(socket, open);
            // The server's <open/> and features; an error here is part of the outcome.
        }
        if (message is not null)
        {
            await SendTextAsync(socket, message);
        }
        if (binary is not null)
        {
            await socket.SendAsync(binary, WebSocketMessageType.Binary, true, CancellationToken.None);
        }
        string? condition = null;
        using var wait = new CancellationTokenSource(WebSocketWait);
        var buffer = new byte[64 * 1024];
        try
        {
            using var text = new MemoryStream();
            while (true)
            {
                var result = await socket.ReceiveAsync(buffer, wait.Token);
                if (result.MessageType == WebSocketMessageType.Close)
                {
                    break;
                }
                text.Write(buffer, 0, result.Count);
                if (result.EndOfMessage)
                {
                    condition ??= StreamErrorCondition(Encoding.UTF8.GetString(text.ToArray()));
                    text.SetLength(0);
                }
            }
        }
        catch (OperationCanceledException)
        {
            return condition is null ? "open" : $"error:{condition} open";
        }
        catch (WebSocketException)
        {
            return condition is null ? "aborted" : $"error:{condition} aborted";
        }
        var close = socket.CloseStatus is { } status ? $"close:{(int)status}" : "close";
        return condition is null ? close : $"error:{condition} {close}";
    }

    private static Task SendTextAsync(ClientWebSocket socket, string xml) =>
        socket.SendAsync(Encoding.UTF8.GetBytes(xml), WebSocketMessageType.Text, true, CancellationToken.None);

    private static string? StreamErrorCondition(string message)
    {
        XElement element;
        try
        {
            element = XElement.Parse(message);
        }
        catch (XmlException)
        {
            return null;
        }
        if (element.Name != XName.Get("error", XmlNames.Streams))
        {
            return null;
        }
        return element.Elements().FirstOrDefault(e => e.Name.Namespace == XmlNames.StreamErrors && e.Name.LocalName != "text")?.Name.LocalName ?? "none";
    }

    private static string Outcome(string text)
    {
        XElement body;
        try
        {
            body = XElement.Parse(text);
        }
        catch (XmlException)
        {
            return "unparsable";
        }
        var type = (string?)body.Attribute("type");
        var condition = (string?)body.Attribute("condition");
        return type switch
        {
            "terminate" => condition is null ? "terminate" : $"terminate:{condition}",
            "error" => condition is null ? "error" : $"error:{condition}",
            _ => body.Elements().Any(e => e.Name.LocalName == "failure") ? "ok+failure" : "ok",
        };
    }
}
