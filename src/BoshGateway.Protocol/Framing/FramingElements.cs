using System.Buffers;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Protocol.Framing;

/// <summary>RFC 7395 framing elements: <c>&lt;open/&gt;</c> and <c>&lt;close/&gt;</c> in <c>urn:ietf:params:xml:ns:xmpp-framing</c>.</summary>
public static class FramingElements
{
    /// <summary>
    /// The server's close, byte for byte as Strophe.js recognises it (double quotes, a space before
    /// <c>/&gt;</c>); any other spelling is taken as data and the close noticed only when the socket goes.
    /// </summary>
    public static ReadOnlyMemory<byte> Close { get; } = "<close xmlns=\"urn:ietf:params:xml:ns:xmpp-framing\" />"u8.ToArray();

    /// <summary>
    /// The answer to a client's <c>&lt;starttls/&gt;</c>, which the gateway refuses (RFC 6120 §5.4.2.2: failure,
    /// then the stream is closed). Used by both transports.
    /// </summary>
    public static ReadOnlyMemory<byte> TlsFailure { get; } = "<failure xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"u8.ToArray();

    /// <summary>The server's <c>&lt;open/&gt;</c> built from the backend's stream header.</summary>
    public static byte[] OpenFromStreamHeader(XmlStreamHeader header, string domain)
    {
        var output = new ArrayBufferWriter<byte>(256);
        output.Write("<open xmlns='urn:ietf:params:xml:ns:xmpp-framing'"u8);
        ElementWriter.WriteAttribute(output, "from", header.GetAttribute("from") ?? domain);
        if (header.GetAttribute("id") is { } id)
        {
            ElementWriter.WriteAttribute(output, "id", id);
        }
        ElementWriter.WriteAttribute(output, "version", "1.0");
        if (header.GetAttribute("xml:lang") is { } lang)
        {
            ElementWriter.WriteAttribute(output, "xml:lang", lang);
        }
        output.Write("/>"u8);
        return output.WrittenSpan.ToArray();
    }

    /// <summary><c>&lt;close see-other-uri='...'/&gt;</c> (RFC 7395 §3.6.1).</summary>
    public static byte[] CloseWithRedirect(string uri)
    {
        var output = new ArrayBufferWriter<byte>(128);
        output.Write("<close xmlns='urn:ietf:params:xml:ns:xmpp-framing'"u8);
        ElementWriter.WriteAttribute(output, "see-other-uri", uri);
        output.Write("/>"u8);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>A stream error as a self-contained message.</summary>
    public static byte[] StreamError(string condition)
    {
        var output = new ArrayBufferWriter<byte>(160);
        output.Write("<stream:error xmlns:stream='http://etherx.jabber.org/streams'><"u8);
        ElementWriter.WriteUtf8(output, condition);
        output.Write(" xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>"u8);
        return output.WrittenSpan.ToArray();
    }
}
