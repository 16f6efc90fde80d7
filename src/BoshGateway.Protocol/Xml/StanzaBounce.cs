using System.Buffers;

namespace BoshGateway.Protocol.Xml;

/// <summary>
/// XEP-0206 §7: what to tell the server about a stanza that reached the gateway but never the client.
/// A message gets <c>recipient-unavailable</c>, an iq request <c>service-unavailable</c>; presence and
/// everything else is dropped (no bounce). A bounce keeps only the stanza's name and addressing, not its
/// bytes, so a session can keep one per undelivered stanza at the cost of a few strings.
/// </summary>
public sealed class StanzaBounce
{
    private readonly string _localName;
    private readonly string _to;
    private readonly string? _id;
    private readonly string _condition;
    private readonly string _errorType;

    private StanzaBounce(string localName, string to, string? id, string condition, string errorType)
    {
        (_localName, _to, _id, _condition, _errorType) = (localName, to, id, condition, errorType);
    }

    /// <summary>The bounce <paramref name="stanza"/> deserves if it never reaches the client, or null when none.</summary>
    public static StanzaBounce? Of(XmlElement stanza)
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
        return condition is null ? null : new StanzaBounce(stanza.LocalName, from, stanza.GetAttribute("id"), condition, errorType!);
    }

    /// <summary>The error stanza for <paramref name="stanza"/>, or null when it deserves none.</summary>
    public static byte[]? For(XmlElement stanza) => Of(stanza)?.ToBytes();

    /// <summary>The error stanza, addressed to the original sender.</summary>
    public byte[] ToBytes()
    {
        var output = new ArrayBufferWriter<byte>(256);
        output.Write("<"u8);
        ElementWriter.WriteUtf8(output, _localName);
        ElementWriter.WriteAttribute(output, "type", "error");
        ElementWriter.WriteAttribute(output, "to", _to);
        if (_id is not null)
        {
            ElementWriter.WriteAttribute(output, "id", _id);
        }
        output.Write("><error type='"u8);
        ElementWriter.WriteUtf8(output, _errorType);
        output.Write("'><"u8);
        ElementWriter.WriteUtf8(output, _condition);
        output.Write(" xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></"u8);
        ElementWriter.WriteUtf8(output, _localName);
        output.Write(">"u8);
        return output.WrittenSpan.ToArray();
    }
}
