using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Framing;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Fuzz.Targets;

/// <summary>
/// <c>bosh-body</c>: one BOSH request body through <see cref="BoshBodyParser.Parse"/>, then what the session reads of
/// it (rid, ack, pause, type, restart) and, for every child the client policy lets through, the bytes the session
/// would forward: they must read back as exactly one well-formed element inside the server's stream.
/// </summary>
public static class BoshBodyTarget
{
    public static void Run(byte[] input)
    {
        var body = BoshBodyParser.Parse(input);
        _ = body.Rid;
        _ = body.Sid;
        _ = body.IsTerminate;
        _ = body.IsRestart;
        _ = body.XmppAttribute("version");
        _ = body.Number("ack");
        _ = body.Number("pause");
        foreach (var child in body.Children)
        {
            if (ClientElementPolicy.Check(child) == ClientElementVerdict.StartTls || ClientElementPolicy.Refusal(child) is not null)
            {
                continue;
            }
            var forwarded = ElementWriter.ToSelfContained(child, body.Wrapper.Namespaces, includeDefault: false);
            Wellformed.AsServerSees(forwarded.Span, "a forwarded BOSH child");
        }
    }
}

/// <summary>
/// <c>ws-message</c>: one RFC 7395 message through <see cref="ClientFrameParser.Parse"/>. An element the parser
/// accepts is forwarded as its raw bytes: they must read back as exactly one well-formed element in the server's stream.
/// </summary>
public static class WsMessageTarget
{
    public static void Run(byte[] input)
    {
        var frame = ClientFrameParser.Parse(input);
        switch (frame.Kind)
        {
            case ClientFrameKind.Element:
                Wellformed.AsServerSees(frame.Element.Raw.Span, "a forwarded WebSocket element");
                break;
            case ClientFrameKind.Open:
                _ = frame.Element.GetAttribute("to");
                _ = frame.Element.GetAttribute("xml:lang");
                _ = frame.Element.GetAttribute("version");
                break;
            default:
                break;
        }
    }
}
