using System.Buffers;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Protocol.Bosh;

/// <summary>Builds response bodies: <c>&lt;body xmlns='http://jabber.org/protocol/httpbind' ...&gt;children&lt;/body&gt;</c>.</summary>
public static class BoshResponseWriter
{
    /// <summary>Writes a body with the given attributes (written in order; values escaped) and self-contained children.</summary>
    /// <param name="declareStream">Declare <c>xmlns:stream</c> on the body (XEP-0206 §2, needed when a child is a stream element).</param>
    /// <param name="declareXmpp">Declare <c>xmlns:xmpp='urn:xmpp:xbosh'</c> for <c>xmpp:</c> attributes.</param>
    public static byte[] Write(IReadOnlyList<KeyValuePair<string, string>> attributes, IReadOnlyList<ReadOnlyMemory<byte>> children, bool declareStream, bool declareXmpp)
    {
        var size = 128;
        foreach (var child in children)
        {
            size += child.Length;
        }
        var output = new ArrayBufferWriter<byte>(size);
        output.Write("<body xmlns='http://jabber.org/protocol/httpbind'"u8);
        if (declareStream)
        {
            output.Write(" xmlns:stream='http://etherx.jabber.org/streams'"u8);
        }
        if (declareXmpp)
        {
            output.Write(" xmlns:xmpp='urn:xmpp:xbosh'"u8);
        }
        foreach (var (name, value) in attributes)
        {
            ElementWriter.WriteAttribute(output, name, value);
        }
        if (children.Count == 0)
        {
            output.Write("/>"u8);
            return output.WrittenSpan.ToArray();
        }
        output.Write(">"u8);
        foreach (var child in children)
        {
            output.Write(child.Span);
        }
        output.Write("</body>"u8);
        return output.WrittenSpan.ToArray();
    }

    /// <summary>An empty body, optionally with attributes.</summary>
    public static byte[] Empty(params KeyValuePair<string, string>[] attributes) => Write(attributes, [], false, false);

    /// <summary><c>&lt;body type='terminate' condition='...'/&gt;</c>.</summary>
    public static byte[] Terminate(string? condition) => condition is null
        ? Empty(new KeyValuePair<string, string>("type", "terminate"))
        : Empty(new("type", "terminate"), new("condition", condition));
}
