using System.Buffers;
using System.Text;

namespace BoshGateway.Protocol.Xml;

/// <summary>
/// Makes a top-level element self-contained: declarations it inherited from the stream root are
/// written onto its own start tag, so it means the same inside a BOSH body or a WebSocket message
/// (server to client) or inside the TCP stream (client to server). The rest is copied byte for byte.
/// </summary>
public static class ElementWriter
{
    /// <summary>Writes <paramref name="element"/> with the inherited declarations taken from <paramref name="rootNamespaces"/>.</summary>
    /// <param name="includeDefault">Whether an inherited default namespace is declared too. True toward
    /// clients (<c>xmlns='jabber:client'</c>); false toward the server, where a child of a BOSH body that
    /// inherited the httpbind namespace must inherit the stream's <c>jabber:client</c> instead.</param>
    public static void WriteSelfContained(XmlElement element, IReadOnlyDictionary<string, string> rootNamespaces, bool includeDefault, IBufferWriter<byte> output)
    {
        var raw = element.Raw.Span;
        var nameEnd = element.NameEnd;
        output.Write(raw[..nameEnd]);
        foreach (var prefix in element.InheritedPrefixes)
        {
            if (prefix.Length == 0 && !includeDefault)
            {
                continue;
            }
            if (rootNamespaces.TryGetValue(prefix, out var uri))
            {
                WriteDeclaration(output, prefix, uri);
            }
        }
        output.Write(raw[nameEnd..]);
    }

    /// <summary>Returns the self-contained form as a new array (the original when nothing is inherited).</summary>
    public static ReadOnlyMemory<byte> ToSelfContained(XmlElement element, IReadOnlyDictionary<string, string> rootNamespaces, bool includeDefault)
    {
        var needed = false;
        foreach (var prefix in element.InheritedPrefixes)
        {
            needed |= prefix.Length > 0 || includeDefault;
        }
        if (!needed)
        {
            return element.Raw;
        }
        var buffer = new ArrayBufferWriter<byte>(element.Raw.Length + 64);
        WriteSelfContained(element, rootNamespaces, includeDefault, buffer);
        return buffer.WrittenMemory;
    }

    /// <summary>Writes <c> xmlns='uri'</c> or <c> xmlns:prefix='uri'</c>.</summary>
    public static void WriteDeclaration(IBufferWriter<byte> output, string prefix, string uri)
    {
        output.Write(prefix.Length == 0 ? " xmlns='"u8 : " xmlns:"u8);
        if (prefix.Length > 0)
        {
            WriteUtf8(output, prefix);
            output.Write("='"u8);
        }
        WriteEscapedAttribute(output, uri);
        output.Write("'"u8);
    }

    /// <summary>Writes <c> name='value'</c> with the value escaped.</summary>
    public static void WriteAttribute(IBufferWriter<byte> output, string name, string value)
    {
        output.Write(" "u8);
        WriteUtf8(output, name);
        output.Write("='"u8);
        WriteEscapedAttribute(output, value);
        output.Write("'"u8);
    }

    /// <summary>Writes an attribute value escaped for single quotes.</summary>
    public static void WriteEscapedAttribute(IBufferWriter<byte> output, string value)
    {
        var start = 0;
        for (var i = 0; i < value.Length; i++)
        {
            var replacement = value[i] switch
            {
                '&' => "&amp;",
                '<' => "&lt;",
                '>' => "&gt;",
                '\'' => "&apos;",
                '"' => "&quot;",
                '\n' => "&#xA;",
                '\r' => "&#xD;",
                '\t' => "&#x9;",
                _ => null,
            };
            if (replacement is not null)
            {
                WriteUtf8(output, value.AsSpan(start, i - start));
                WriteUtf8(output, replacement);
                start = i + 1;
            }
        }
        WriteUtf8(output, value.AsSpan(start));
    }

    public static void WriteUtf8(IBufferWriter<byte> output, ReadOnlySpan<char> text)
    {
        var span = output.GetSpan(Encoding.UTF8.GetMaxByteCount(text.Length));
        output.Advance(Encoding.UTF8.GetBytes(text, span));
    }
}
