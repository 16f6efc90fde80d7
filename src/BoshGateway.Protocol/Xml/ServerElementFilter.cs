using System.Text;
using System.Xml;
using System.Xml.Linq;

namespace BoshGateway.Protocol.Xml;

/// <summary>
/// Turns a server's top-level element into what a web client should see: self-contained, and with the
/// features a gateway cannot honour removed. STARTTLS and compression belong to the gateway's own TCP
/// link; <c>-PLUS</c> SASL mechanisms and XEP-0440 channel-binding advertisements would bind to the
/// gateway's TLS session, which the browser does not share; the XEP-0198 <c>location</c> would send the
/// client around the gateway.
/// </summary>
public static class ServerElementFilter
{
    private static readonly XmlReaderSettings SafeSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        IgnoreComments = false,
        IgnoreProcessingInstructions = false,
    };

    /// <summary>Returns the element as a client may receive it.</summary>
    public static ReadOnlyMemory<byte> ToClient(XmlElement element, IReadOnlyDictionary<string, string> streamNamespaces)
    {
        var selfContained = ElementWriter.ToSelfContained(element, streamNamespaces, includeDefault: true);
        if (element.Is("features", XmlNames.Streams))
        {
            return FilterFeatures(selfContained);
        }
        if (element.Is("enabled", XmlNames.StreamManagement) && element.GetAttribute("location") is not null)
        {
            return Rewrite(selfContained, e => e.Attribute("location")?.Remove());
        }
        return selfContained;
    }

    private static ReadOnlyMemory<byte> FilterFeatures(ReadOnlyMemory<byte> features) => Rewrite(features, root =>
    {
        root.Elements(XName.Get("starttls", XmlNames.Tls)).Remove();
        root.Elements(XName.Get("compression", XmlNames.Compress)).Remove();
        root.Elements(XName.Get("sasl-channel-binding", XmlNames.SaslChannelBinding)).Remove();
        foreach (var mechanisms in root.Elements(XName.Get("mechanisms", XmlNames.Sasl)))
        {
            mechanisms.Elements(XName.Get("mechanism", XmlNames.Sasl))
                .Where(m => m.Value.Trim().EndsWith("-PLUS", StringComparison.OrdinalIgnoreCase))
                .Remove();
        }
    });

    private static ReadOnlyMemory<byte> Rewrite(ReadOnlyMemory<byte> xml, Action<XElement> edit)
    {
        using var stream = new MemoryStream(xml.ToArray(), writable: false);
        using var reader = XmlReader.Create(stream, SafeSettings);
        var root = XElement.Load(reader);
        edit(root);
        return Encoding.UTF8.GetBytes(root.ToString(SaveOptions.DisableFormatting));
    }
}
