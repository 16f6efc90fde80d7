using System.Text;

namespace BoshGateway.IntegrationTests.Differential;

/// <summary>One catalogue input, the answer each side gives, and (where they differ) why ours is the one we want.</summary>
internal sealed record DifferentialCase(string Id, string Input, Func<DifferentialProbe, Task<string>> Run, string Prosody, string Gateway, string? Why = null);

internal static class DifferentialCases
{
    private const string Bosh = "xmlns='http://jabber.org/protocol/httpbind'";
    private const string Open = "<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='localhost' version='1.0'/>";

    private static string Body(string sid, long rid, string children, string extra = "") => $"<body rid='{rid}' sid='{sid}'{extra} {Bosh}>{children}</body>";

    private static Func<DifferentialProbe, Task<string>> InSession(string children, string extra = "") =>
        p => p.InSessionAsync((sid, rid) => Body(sid, rid, children, extra));

    private static Func<DifferentialProbe, Task<string>> WebSocket(string message) => p => p.WebSocketAsync(Open, message);

    public static readonly DifferentialCase[] All =
    [
        // A: XML itself, in a BOSH body and in a WebSocket message.
        new("A1", "BOSH: DOCTYPE with entities before the creation body",
            p => p.PostAsync($"<?xml version='1.0'?><!DOCTYPE body [<!ENTITY a 'aaaaaaaaaa'><!ENTITY b '&a;&a;&a;&a;'>]><body {p.Creation(1000)}/>"),
            "terminate:bad-request", "terminate:bad-request"),
        new("A1", "WS: DOCTYPE with entities", WebSocket("<!DOCTYPE message [<!ENTITY a 'aaaa'>]><message>&a;</message>"), "error:not-well-formed close:1000", "error:restricted-xml close:1000",
            "RFC 6120 §11.1 names the condition for a DTD: restricted-xml"),
        new("A2", "BOSH: external entity (file:///etc/passwd) in a session body",
            p => p.InSessionAsync((sid, rid) => $"<!DOCTYPE body [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>{Body(sid, rid, "<message>&x;</message>")}"),
            "terminate:bad-request", "terminate:bad-request"),
        new("A3", "BOSH: comment inside a stanza", InSession("<message to='alice@localhost'><!-- hi --><body>x</body></message>"), "terminate:remote-stream-error", "terminate:bad-request",
            "refused in the body, before anything reaches the server (XEP-0124 bad-request); Prosody passes it to its c2s stream, which fails"),
        new("A3", "WS: comment inside a stanza", WebSocket("<message to='alice@localhost'><!-- hi --><body>x</body></message>"), "error:not-well-formed close:1000", "error:restricted-xml close:1000",
            "RFC 6120 §11.1: comments are restricted-xml"),
        new("A4", "BOSH: processing instruction inside a stanza", InSession("<message to='alice@localhost'><?pi x?><body>x</body></message>"), "terminate:remote-stream-error", "terminate:bad-request",
            "as A3: refused before forwarding"),
        new("A4", "WS: XML 1.1 declaration", WebSocket("<?xml version='1.1'?><message to='alice@localhost'/>"), "error:not-well-formed close:1000", "error:restricted-xml close:1000",
            "RFC 6120 §11.8 profiles XML 1.0 only: restricted-xml"),
        new("A5", "BOSH: encoding='ISO-8859-1' declaration on the creation body",
            p => p.PostAsync($"<?xml version='1.0' encoding='ISO-8859-1'?><body {p.Creation(1000)}/>"), "terminate:bad-request", "terminate:bad-request"),
        new("A5", "WS: encoding='UTF-16' declaration", WebSocket("<?xml version='1.0' encoding='UTF-16'?><message to='alice@localhost'/>"), "error:not-well-formed close:1000", "error:unsupported-encoding close:1000",
            "RFC 6120 §11.6 names unsupported-encoding"),
        new("A5", "BOSH: &#x0; in a stanza", InSession("<message to='alice@localhost'><body>&#x0;</body></message>"), "terminate:bad-request", "terminate:bad-request"),
        new("A5", "BOSH: invalid UTF-8 in a stanza",
            p => p.InSessionBytesAsync((sid, rid) => [.. Encoding.UTF8.GetBytes($"<body rid='{rid}' sid='{sid}' {Bosh}><message to='alice@localhost'><body>"), 0xC3, 0x28, .. Encoding.UTF8.GetBytes("</body></message></body>")]),
            "terminate:bad-request", "terminate:bad-request"),
        new("A6", "BOSH: 1,000 nested elements in a stanza",
            InSession("<message to='alice@localhost'>" + string.Concat(Enumerable.Repeat("<a>", 1000)) + string.Concat(Enumerable.Repeat("</a>", 1000)) + "</message>"), "ok", "terminate:policy-violation",
            "`Limits:MaxDepth` (64) bounds what one client can make a parser hold; Prosody has no depth limit on BOSH"),
        new("A8", "BOSH: 200 attributes on a stanza",
            InSession("<message to='alice@localhost'" + string.Concat(Enumerable.Range(0, 200).Select(i => $" a{i}='1'")) + "/>"), "ok", "terminate:policy-violation",
            "`Limits:MaxAttributes` (64); Prosody has no attribute limit"),
        new("A10", "BOSH: <stream:stream> inside a body",
            InSession("<stream:stream xmlns:stream='http://etherx.jabber.org/streams' to='localhost'/>"), "terminate:remote-stream-error", "terminate:bad-request",
            "as A3: refused before forwarding"),
        new("A10", "WS: two elements in one message", WebSocket("<presence/><presence/>"), "error:unsupported-stanza-type close:1000", "error:not-well-formed close:1000",
            "RFC 7395 §3.3.3: one complete element per message; two is not well-formed framing, not a stanza type"),
        new("A10", "WS: text as a message", WebSocket("hello"), "close:1007", "error:bad-format close:1000",
            "a stream error the client can show, then the close handshake (Prosody drops the socket with 1007)"),
        new("A11", "BOSH: a stanza in jabber:server", InSession("<message xmlns='jabber:server' to='alice@localhost' from='admin@localhost'/>"), "terminate:remote-stream-error", "terminate:bad-request",
            "as A3: refused before forwarding"),
        new("A11", "WS: a stanza in jabber:server", WebSocket("<message xmlns='jabber:server' to='alice@localhost' from='admin@localhost'/>"), "error:unsupported-stanza-type close:1000", "error:invalid-namespace close:1000",
            "RFC 6120 §4.9.3.10: a content namespace the stream does not support is invalid-namespace"),
        new("A11", "WS: unbound prefix", WebSocket("<x:message to='alice@localhost'/>"), "error:not-well-formed close:1000", "error:not-well-formed close:1000"),
        new("A13", "BOSH: <starttls/> from the client", InSession("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), "no answer in 10 s", "terminate",
            "RFC 6120 §5.4.2.2: `<failure/>` and the stream closes; Prosody never answers (the request waits past the session's wait)"),
        new("A13", "WS: <starttls/> from the client", WebSocket("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"), "close:1000", "close:1000"),

        // B: the BOSH protocol.
        new("B1", "unknown sid", p => p.PostAsync($"<body rid='1000' sid='0123456789abcdef' {Bosh}/>"), "terminate:item-not-found", "terminate:item-not-found"),
        new("B3", "rid far above the window", p => p.InSessionAsync((sid, rid) => Body(sid, rid + 1_000_000, "")), "terminate:item-not-found", "terminate:item-not-found"),
        new("B3", "rid below the window", p => p.InSessionAsync((sid, rid) => Body(sid, rid - 100, "")), "terminate:item-not-found", "terminate:item-not-found"),
        new("B7", "wrong key after newkey",
            p => p.InSessionAsync((sid, rid) => Body(sid, rid, "", " key='0000000000000000000000000000000000000000'"), " newkey='" + new string('a', 40) + "'"), "ok", "terminate:item-not-found",
            "XEP-0124 §15 key sequencing is checked (item-not-found); Prosody ignores keys"),
        new("B8", "route to 127.0.0.1:6379 on creation", p => p.PostAsync($"<body {p.Creation(1000, " route='xmpp:127.0.0.1:6379'")}/>"), "ok", "ok"),
        new("B8", "to a domain the server does not serve", p => p.PostAsync($"<body rid='1000' to='evil.example' wait='5' hold='1' ver='1.6' {Bosh}/>"), "terminate:improper-addressing", "terminate:remote-stream-error",
            "XEP-0206: the server's stream error (host-unknown) is carried in a remote-stream-error terminate; Prosody answers improper-addressing, which XEP-0124 keeps for a missing to/route"),
        new("B8", "creation without to", p => p.PostAsync($"<body rid='1000' wait='5' hold='1' ver='1.6' {Bosh}/>"), "terminate:improper-addressing", "terminate:improper-addressing"),
        new("B10", "GET", p => p.SendAsync(HttpMethod.Get, null), "HTTP 200", "HTTP 200"),
        new("B10", "PUT", p => p.SendAsync(HttpMethod.Put, Encoding.UTF8.GetBytes($"<body {p.Creation(1000)}/>")), "HTTP 404", "HTTP 405",
            "RFC 9110: a method the resource does not allow is 405"),
        new("B10", "OPTIONS (CORS preflight)", p => p.SendAsync(HttpMethod.Options, null, origin: "https://chat.example"), "HTTP 200", "HTTP 200"),
        new("B11", "pause above maxpause", p => p.InSessionAsync((sid, rid) => Body(sid, rid, "", " pause='100000'")), "ok", "terminate:policy-violation",
            "XEP-0124 §10: policy-violation; Prosody ignores pause"),
        new("B13", "600 KiB body", InSession("<message to='alice@localhost'><body>" + new string('x', 600 * 1024) + "</body></message>"), "ok", "terminate:policy-violation",
            "`Bosh:MaxBodyBytes` (512 KiB); Prosody takes it"),
        new("B16", "cross-origin text/plain POST (Origin: https://evil.example)",
            p => p.PostAsync($"<body {p.Creation(1000)}/>", "text/plain", origin: "https://evil.example"), "ok", "HTTP 403",
            "a cross-origin request is refused before anything opens (`AllowedOrigins`); Prosody serves it, only without CORS headers"),
        new("B", "root element other than <body>", p => p.PostAsync("<foo/>"), "terminate:bad-request", "terminate:bad-request"),
        new("B", "not XML", p => p.PostAsync("hello"), "terminate:item-not-found", "terminate:bad-request",
            "XEP-0124 §17: bad-request for a body that cannot be read; there is no sid to be unknown"),
        new("B", "empty POST", p => p.PostAsync(""), "terminate:item-not-found", "terminate:bad-request",
            "as for not XML"),

        // C: the WebSocket binding.
        new("C1", "WS: Origin https://evil.example", p => p.WebSocketAsync(Open, null, origin: "https://evil.example"), "open", "HTTP 403",
            "cross-site WebSocket hijacking: a disallowed Origin is refused before the upgrade (`AllowedOrigins`); Prosody accepts any"),
        new("C2", "WS: no xmpp subprotocol", p => p.WebSocketAsync(null, null, subProtocol: null), "HTTP 501", "HTTP 501"),
        new("C3", "WS: binary frame", p => p.WebSocketAsync(Open, null, binary: Encoding.UTF8.GetBytes("<presence/>")), "close:1003", "error:unsupported-stanza-type close:1003",
            "the stream error says why before the 1003 close"),
        new("C", "WS: a stanza before <open/>", p => p.WebSocketAsync(null, "<message to='alice@localhost'/>"), "error:invalid-namespace close:1000", "error:not-authorized close:1000",
            "RFC 6120 §4.9.3.12: data before the stream is authenticated is not-authorized; Prosody reads the stanza as a stream header in the wrong namespace"),
        new("C", "WS: <open/> to a domain the server does not serve",
            p => p.WebSocketAsync("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing' to='evil.example' version='1.0'/>", null), "error:host-unknown close:1000", "error:host-unknown close:1000"),
    ];
}
