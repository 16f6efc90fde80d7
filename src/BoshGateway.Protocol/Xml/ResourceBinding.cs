using System.Text;

namespace BoshGateway.Protocol.Xml;

/// <summary>Reads the full JID from the server's answer to resource binding (RFC 6120 §7.6.1), without a DOM.</summary>
public static class ResourceBinding
{
    private static readonly byte[] BindNamespace = Encoding.UTF8.GetBytes(XmlNames.Bind);
    private static readonly byte[] JidOpen = "<jid>"u8.ToArray();
    private static readonly byte[] JidClose = "</jid>"u8.ToArray();

    /// <summary>The bound JID when <paramref name="element"/> is an <c>iq type='result'</c> carrying <c>&lt;bind&gt;&lt;jid&gt;</c>; otherwise null.</summary>
    public static string? TryGetBoundJid(XmlElement element)
    {
        if (element.LocalName != "iq" || element.GetAttribute("type") != "result")
        {
            return null;
        }
        var raw = element.Raw.Span;
        if (raw.IndexOf(BindNamespace) < 0)
        {
            return null;
        }
        var start = raw.IndexOf(JidOpen);
        if (start < 0)
        {
            return null;
        }
        var value = raw[(start + JidOpen.Length)..];
        var end = value.IndexOf(JidClose);
        if (end <= 0 || value[..end].IndexOfAny((byte)'<', (byte)'&') >= 0)
        {
            return null;
        }
        return Encoding.UTF8.GetString(value[..end]).Trim();
    }
}
