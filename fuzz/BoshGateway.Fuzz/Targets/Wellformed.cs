using BoshGateway.Protocol.Xml;

namespace BoshGateway.Fuzz.Targets;

/// <summary>Checks that bytes the gateway writes (to the server or to a client) read back as XML with its own reader.</summary>
internal static class Wellformed
{
    private static readonly byte[] StreamOpen = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"u8.ToArray();
    private static readonly byte[] BodyOpen = "<body xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'>"u8.ToArray();
    private static readonly byte[] BodyClose = "</body>"u8.ToArray();

    /// <summary>An element as the server will read it, inside its stream: exactly one element, well-formed.</summary>
    public static void AsServerSees(ReadOnlySpan<byte> element, string what)
    {
        var counter = new Counter();
        var reader = new XmlStreamReader(counter);
        try
        {
            reader.Feed(StreamOpen);
            reader.Feed(element);
        }
        catch (XmlStreamException ex)
        {
            throw new FuzzFindingException($"{what} is not well-formed for the server ({ex.Message}): {Show(element)}", ex);
        }
        if (counter.Elements != 1 || reader.IsInsideElement)
        {
            throw new FuzzFindingException($"{what} is not exactly one element for the server ({counter.Elements}): {Show(element)}");
        }
    }

    /// <summary>An element as a BOSH client will read it inside a response body.</summary>
    public static void AsClientSees(ReadOnlySpan<byte> element, string what)
    {
        var counter = new Counter();
        var reader = new XmlStreamReader(counter, documentMode: true);
        try
        {
            reader.Feed(BodyOpen);
            reader.Feed(element);
            reader.Feed(BodyClose);
            reader.Complete();
        }
        catch (XmlStreamException ex)
        {
            throw new FuzzFindingException($"{what} is not well-formed for the client ({ex.Message}): {Show(element)}", ex);
        }
        if (counter.Elements != 1)
        {
            throw new FuzzFindingException($"{what} is not exactly one element for the client ({counter.Elements}): {Show(element)}");
        }
    }

    /// <summary>A whole BOSH response body.</summary>
    public static void Document(ReadOnlySpan<byte> body, string what)
    {
        var reader = new XmlStreamReader(new Counter(), documentMode: true);
        try
        {
            reader.Feed(body);
            reader.Complete();
        }
        catch (XmlStreamException ex)
        {
            throw new FuzzFindingException($"{what} is not well-formed ({ex.Message}): {Show(body)}", ex);
        }
    }

    private static string Show(ReadOnlySpan<byte> bytes)
    {
        var text = System.Text.Encoding.UTF8.GetString(bytes[..Math.Min(bytes.Length, 400)]);
        return bytes.Length > 400 ? text + "…" : text;
    }

    private sealed class Counter : IXmlStreamHandler
    {
        public int Elements { get; private set; }

        public void OnStreamHeader(XmlStreamHeader header)
        {
        }

        public void OnElement(XmlElement element) => Elements++;

        public void OnStreamEnd()
        {
        }
    }
}
