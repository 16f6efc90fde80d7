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
        var (handler, reader) = ReaderCache<Collector>.Rent(limits);
        if (message.StartsWith("<?xml"u8))
        {
            // An XML declaration may open a message. It goes to the reader before the implicit root, so it
            // is checked exactly as one opening a stream is: a version other than 1.0 is restricted-xml
            // (RFC 6120 §11.8 profiles XML 1.0 only; unsupported-version is about XMPP's version attribute),
            // an encoding other than UTF-8 is unsupported-encoding (§11.6). Anywhere else it is restricted-xml.
            var end = message.IndexOf("?>"u8);
            if (end < 0)
            {
                throw new XmlStreamException(XmlStreamError.NotWellFormed, "unterminated XML declaration");
            }
            reader.Feed(message[..(end + 2)]);
            message = message[(end + 2)..];
        }
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
        if (ClientElementPolicy.Check(element) == ClientElementVerdict.StartTls)
        {
            return new ClientFrame(ClientFrameKind.StartTls, element);
        }
        if (ClientElementPolicy.Refusal(element) is { } refusal)
        {
            throw refusal;
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
