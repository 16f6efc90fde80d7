using System.Globalization;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Protocol.Bosh;

/// <summary>A parsed client request: the <c>&lt;body/&gt;</c> wrapper's attributes and its child elements.</summary>
public sealed class BoshBody
{
    internal BoshBody(XmlStreamHeader wrapper, IReadOnlyList<XmlElement> children)
    {
        Wrapper = wrapper;
        Children = children;
        Rid = ParseRid(wrapper.GetAttribute("rid"));
    }

    public XmlStreamHeader Wrapper { get; }

    /// <summary>Payload elements, in order, as received.</summary>
    public IReadOnlyList<XmlElement> Children { get; }

    /// <summary>The request id (XEP-0124 §14, up to 2^53-1).</summary>
    public long Rid { get; }

    public string? Sid => Wrapper.GetAttribute("sid");

    public string? Type => Wrapper.GetAttribute("type");

    public bool IsTerminate => Type == "terminate";

    /// <summary><c>xmpp:restart='true'</c> (XEP-0206 §5).</summary>
    public bool IsRestart => Wrapper.GetAttribute("restart", XmlNames.XBosh) is "true" or "1";

    public string? Attribute(string name) => Wrapper.GetAttribute(name);

    public string? XmppAttribute(string localName) => Wrapper.GetAttribute(localName, XmlNames.XBosh);

    /// <summary>An integer attribute, or null when absent; throws bad-request when malformed.</summary>
    public long? Number(string name)
    {
        var text = Wrapper.GetAttribute(name);
        if (text is null)
        {
            return null;
        }
        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new BoshProtocolException(BoshConditions.BadRequest, $"attribute '{name}' is not a number");
    }

    private static long ParseRid(string? text)
    {
        if (text is null || !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var rid) || rid > (1L << 53) - 1)
        {
            throw new BoshProtocolException(BoshConditions.BadRequest, "missing or invalid rid");
        }
        return rid;
    }
}
