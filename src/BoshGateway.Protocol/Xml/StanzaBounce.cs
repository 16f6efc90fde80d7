using System.Buffers;

namespace BoshGateway.Protocol.Xml;

/// <summary>
/// XEP-0206 §7: what to tell the server about a stanza that reached the gateway but never the client.
/// A message gets <c>recipient-unavailable</c>, an iq request <c>service-unavailable</c>; presence and
/// everything else is dropped (null).
/// </summary>
public static class StanzaBounce
{
    public static byte[]? For(XmlElement stanza)
    {
        if (!stanza.IsStanza() || stanza.GetAttribute("from") is not { } from)
        {
            return null;
        }
        var type = stanza.GetAttribute("type");
        var (condition, errorType) = stanza.LocalName switch
        {
            "message" when type is not ("error" or "groupchat") => ("recipient-unavailable", "wait"),
            "iq" when type is "get" or "set" => ("service-unavailable", "cancel"),
            _ => (null, null),
        };
        if (condition is null)
        {
            return null;
        }
        var output = new ArrayBufferWriter<byte>(256);
        output.Write("<"u8);
        ElementWriter.WriteUtf8(output, stanza.LocalName);
        ElementWriter.WriteAttribute(output, "type", "error");
        ElementWriter.WriteAttribute(output, "to", from);
        if (stanza.GetAttribute("id") is { } id)
        {
            ElementWriter.WriteAttribute(output, "id", id);
        }
        output.Write("><error type='"u8);
        ElementWriter.WriteUtf8(output, errorType!);
        output.Write("'><"u8);
        ElementWriter.WriteUtf8(output, condition);
        output.Write(" xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></"u8);
        ElementWriter.WriteUtf8(output, stanza.LocalName);
        output.Write(">"u8);
        return output.WrittenSpan.ToArray();
    }
}
