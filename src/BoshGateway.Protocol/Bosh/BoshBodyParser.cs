using BoshGateway.Protocol.Xml;

namespace BoshGateway.Protocol.Bosh;

/// <summary>Parses one BOSH request body with the same restricted-XML reader the backend streams use.</summary>
public static class BoshBodyParser
{
    /// <summary>Parses <paramref name="bytes"/>; throws <see cref="XmlStreamException"/> or <see cref="BoshProtocolException"/>.</summary>
    public static BoshBody Parse(ReadOnlySpan<byte> bytes, XmlLimits? limits = null)
    {
        var (collector, reader) = ReaderCache<Collector>.Rent(limits);
        try
        {
            reader.Feed(bytes);
            reader.Complete();
        }
        catch (XmlStreamException ex) when (collector.Wrapper?.GetAttribute("sid") is { } sid)
        {
            // The wrapper was read: the error belongs to that session, which ends with it.
            var condition = ex.Error == XmlStreamError.PolicyViolation ? BoshConditions.PolicyViolation : BoshConditions.BadRequest;
            throw new BoshProtocolException(condition, ex.Message) { Sid = sid };
        }
        var wrapper = collector.Wrapper!;
        if (wrapper.LocalName != "body" || wrapper.NamespaceUri != XmlNames.HttpBind)
        {
            throw new BoshProtocolException(BoshConditions.BadRequest, "the wrapper must be <body/> in " + XmlNames.HttpBind);
        }
        foreach (var child in collector.Children)
        {
            if (child.NamespaceUri == XmlNames.Streams)
            {
                // A stream header or stream element inside a body would let a client inject framing.
                throw new BoshProtocolException(BoshConditions.BadRequest, "stream elements are not allowed in a body") { Sid = wrapper.GetAttribute("sid") };
            }
        }
        return new BoshBody(wrapper, [.. collector.Children]);
    }

    private sealed class Collector : IReusableHandler
    {
        public XmlStreamHeader? Wrapper { get; private set; }

        public List<XmlElement> Children { get; } = [];

        public void Clear()
        {
            Wrapper = null;
            Children.Clear();
        }

        public void OnStreamHeader(XmlStreamHeader header) => Wrapper = header;

        public void OnElement(XmlElement element) => Children.Add(element);

        public void OnStreamEnd()
        {
        }
    }
}
