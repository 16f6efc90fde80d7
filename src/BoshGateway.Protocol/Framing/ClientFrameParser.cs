using BoshGateway.Protocol.Xml;

namespace BoshGateway.Protocol.Framing;

/// <summary>
/// Parses one RFC 7395 client message: exactly one complete, self-contained element, checked with the
/// same restricted-XML reader as everything else (the message is read as the only child of an
/// implicit root). Throws <see cref="XmlStreamException"/> with the stream error to answer.
/// </summary>
public static class ClientFrameParser
{
    public static ClientFrame Parse(ReadOnlySpan<byte> message, XmlLimits? limits = null)
    {
        if (message.StartsWith("<?xml"u8))
        {
            var end = message.IndexOf("?>"u8);
            message = end < 0 ? message : message[(end + 2)..];
        }
        var (handler, reader) = ReaderCache<Collector>.Rent(limits);
        reader.Feed("<m>"u8);
        reader.Feed(message);
        reader.Feed("</m>"u8);
        reader.Complete();
        if (handler.Elements.Count != 1)
        {
            throw new XmlStreamException(XmlStreamError.NotWellFormed, "a message must hold exactly one element");
        }
        var element = handler.Elements[0];
        if (element.LocalName is "open" or "close")
        {
            var kind = element.NamespaceUri != XmlNames.Framing ? ClientFrameKind.MisplacedFraming
                : element.LocalName == "open" ? ClientFrameKind.Open : ClientFrameKind.Close;
            return new ClientFrame(kind, element);
        }
        if (element.NamespaceUri == XmlNames.Streams && element.LocalName == "stream")
        {
            throw new XmlStreamException(XmlStreamError.BadFormat, "a stream header is not allowed over WebSocket; use <open/>");
        }
        return new ClientFrame(ClientFrameKind.Element, element);
    }

    private sealed class Collector : IReusableHandler
    {
        public List<XmlElement> Elements { get; } = [];

        public void Clear() => Elements.Clear();

        public void OnStreamHeader(XmlStreamHeader header)
        {
        }

        public void OnElement(XmlElement element) => Elements.Add(element);

        public void OnStreamEnd()
        {
        }
    }
}
