using System.Text;

namespace BoshGateway.Protocol.Xml;

/// <summary>
/// One shared instance of each name and value that XMPP streams repeat all the time (element and
/// attribute names, stream and stanza namespaces, <c>1.0</c>, <c>en</c>, stanza types). The reader
/// decodes those through here: no new string per stanza for them, and a session's stream header holds
/// no copies of its own (a heap dump at 8,000 idle sessions counted about twenty such strings per
/// session; docs/benchmarks.md).
/// </summary>
internal static class KnownStrings
{
    private const int MaxLength = 40;

    private static readonly (byte[] Utf8, string Value)[][] ByLength = Build(
        // elements
        "stream:stream", "stream", "stream:features", "stream:error", "iq", "message", "presence", "body",
        "features", "mechanisms", "mechanism", "auth", "success", "challenge", "response", "bind", "jid",
        "resource", "session", "enable", "enabled", "resume", "resumed", "r", "a", "open", "close",
        "starttls", "proceed", "failure", "query", "ping", "error", "show", "status", "priority", "c", "x",
        "delay", "thread", "subject", "active", "inactive", "composing", "paused",
        // attribute names
        "xmlns", "xmlns:stream", "xmlns:xmpp", "xml:lang", "to", "from", "id", "type", "version", "rid",
        "sid", "ack", "wait", "hold", "ver", "xmpp:version", "xmpp:restart", "xmpp:restartlogic", "h",
        "node", "hash", "stamp", "max", "location",
        // values
        "1.0", "1.6", "en", "get", "set", "result", "chat", "groupchat", "normal", "headline",
        "unavailable", "subscribe", "subscribed", "true", "false", "sha-1", "PLAIN", "SCRAM-SHA-1",
        XmlNames.JabberClient, XmlNames.Streams, XmlNames.HttpBind, XmlNames.XBosh, XmlNames.Tls, XmlNames.Sasl,
        XmlNames.StreamErrors, XmlNames.StanzaErrors, XmlNames.Framing, XmlNames.Bind, XmlNames.StreamManagement,
        XmlNames.Sasl2, XmlNames.ClientStateIndication, "urn:ietf:params:xml:ns:xmpp-session",
        "http://jabber.org/protocol/caps", "http://jabber.org/protocol/chatstates", "urn:xmpp:ping",
        "urn:xmpp:delay", "jabber:iq:roster", "urn:xmpp:carbons:2");

    /// <summary>The shared instance when <paramref name="utf8"/> is one of the known strings, else a new string.</summary>
    public static string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.Length <= MaxLength)
        {
            foreach (var (bytes, value) in ByLength[utf8.Length])
            {
                if (utf8.SequenceEqual(bytes))
                {
                    return value;
                }
            }
        }
        return Encoding.UTF8.GetString(utf8);
    }

    /// <summary>The shared instance when <paramref name="chars"/> is one of the known strings, else a new string.</summary>
    public static string Get(ReadOnlySpan<char> chars)
    {
        if (chars.Length <= MaxLength)
        {
            foreach (var (_, value) in ByLength[chars.Length])
            {
                if (chars.SequenceEqual(value))
                {
                    return value;
                }
            }
        }
        return chars.ToString();
    }

    private static (byte[] Utf8, string Value)[][] Build(params string[] values)
    {
        var table = new (byte[], string)[MaxLength + 1][];
        for (var length = 0; length <= MaxLength; length++)
        {
            table[length] = [.. values.Distinct().Where(v => v.Length == length).Select(v => (Encoding.UTF8.GetBytes(v), v))];
        }
        return table;
    }
}
