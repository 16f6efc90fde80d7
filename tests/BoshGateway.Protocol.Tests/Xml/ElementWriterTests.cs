using System.Text;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Protocol.Tests.Xml;

public class ElementWriterTests
{
    private const string Header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback'>";

    private static (XmlElement Element, IReadOnlyDictionary<string, string> Namespaces) Read(string element)
    {
        var handler = new RecordingHandler();
        new XmlStreamReader(handler).Feed(Encoding.UTF8.GetBytes(Header + element));
        return (handler.Elements.Single(), handler.Headers[0].Namespaces);
    }

    private static string ToClient(string element)
    {
        var (e, ns) = Read(element);
        return Encoding.UTF8.GetString(ElementWriter.ToSelfContained(e, ns, includeDefault: true).Span);
    }

    [Fact]
    public void Stanza_WithoutXmlns_GetsJabberClient()
        => Assert.Equal("<message xmlns='jabber:client' to='a@b'><body>hi</body></message>", ToClient("<message to='a@b'><body>hi</body></message>"));

    [Fact]
    public void Stanza_WithOwnXmlns_IsUnchanged()
        => Assert.Equal("<iq xmlns='jabber:client' type='get'/>", ToClient("<iq xmlns='jabber:client' type='get'/>"));

    [Fact]
    public void StreamElement_GetsStreamPrefixDeclared()
        => Assert.Equal("<stream:features xmlns:stream='http://etherx.jabber.org/streams'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>",
            ToClient("<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features>"));

    [Fact]
    public void OtherRootPrefix_UsedInside_IsDeclared()
        => Assert.Equal("<message xmlns='jabber:client' xmlns:db='jabber:server:dialback'><db:x/></message>", ToClient("<message><db:x/></message>"));

    [Fact]
    public void NamespacedTopLevel_NeedsNothing()
        => Assert.Equal("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>abc=</success>", ToClient("<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>abc=</success>"));

    [Fact]
    public void SelfContained_ReparsesAloneWithTheSameNamespace()
    {
        var (e, ns) = Read("<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
        var bytes = ElementWriter.ToSelfContained(e, ns, includeDefault: true);
        var doc = System.Xml.Linq.XElement.Parse(Encoding.UTF8.GetString(bytes.Span));
        Assert.Equal(XmlNames.Streams, doc.Name.NamespaceName);
    }

    [Fact]
    public void TowardServer_DefaultIsNotImported()
    {
        var handler = new RecordingHandler();
        new XmlStreamReader(handler, documentMode: true).Feed("<body xmlns='http://jabber.org/protocol/httpbind' rid='1'><message to='x@y'/></body>"u8);
        var bytes = ElementWriter.ToSelfContained(handler.Elements[0], handler.Headers[0].Namespaces, includeDefault: false);
        Assert.Equal("<message to='x@y'/>", Encoding.UTF8.GetString(bytes.Span));
    }

    [Fact]
    public void EscapedAttribute_EscapesEverythingSpecial()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        ElementWriter.WriteEscapedAttribute(buffer, "a'b\"c<d>e&f\ng");
        Assert.Equal("a&apos;b&quot;c&lt;d&gt;e&amp;f&#xA;g", Encoding.UTF8.GetString(buffer.WrittenSpan));
    }
}
