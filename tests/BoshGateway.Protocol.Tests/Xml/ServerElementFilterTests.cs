using System.Text;
using System.Xml.Linq;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Protocol.Tests.Xml;

public class ServerElementFilterTests
{
    private const string Header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>";

    private static XElement Filter(string element)
    {
        var handler = new RecordingHandler();
        new XmlStreamReader(handler).Feed(Encoding.UTF8.GetBytes(Header + element));
        var bytes = ServerElementFilter.ToClient(handler.Elements.Single(), handler.Headers[0].Namespaces);
        return XElement.Parse(Encoding.UTF8.GetString(bytes.Span));
    }

    [Fact]
    public void Features_StartTlsCompressionAndPlus_AreRemoved()
    {
        var features = Filter(
            "<stream:features>" +
            "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls>" +
            "<compression xmlns='http://jabber.org/features/compress'><method>zlib</method></compression>" +
            "<mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1-PLUS</mechanism><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms>" +
            "<sasl-channel-binding xmlns='urn:xmpp:sasl-cb:0'><channel-binding type='tls-exporter'/></sasl-channel-binding>" +
            "<sm xmlns='urn:xmpp:sm:3'/>" +
            "</stream:features>");

        Assert.Equal(XName.Get("features", XmlNames.Streams), features.Name);
        Assert.Null(features.Element(XName.Get("starttls", XmlNames.Tls)));
        Assert.Null(features.Element(XName.Get("compression", XmlNames.Compress)));
        Assert.Null(features.Element(XName.Get("sasl-channel-binding", XmlNames.SaslChannelBinding)));
        Assert.Equal(["SCRAM-SHA-1", "PLAIN"], features.Descendants(XName.Get("mechanism", XmlNames.Sasl)).Select(m => m.Value));
        Assert.NotNull(features.Element(XName.Get("sm", XmlNames.StreamManagement)));
    }

    [Fact]
    public void SmEnabled_LocationIsRemoved_ResumeKept()
    {
        var enabled = Filter("<enabled xmlns='urn:xmpp:sm:3' id='abc' resume='true' location='10.0.0.5:5222'/>");
        Assert.Null(enabled.Attribute("location"));
        Assert.Equal("abc", enabled.Attribute("id")?.Value);
        Assert.Equal("true", enabled.Attribute("resume")?.Value);
    }

    [Fact]
    public void Stanza_PassesThroughWithJabberClient()
    {
        var message = Filter("<message from='a@b/c'><body>x</body></message>");
        Assert.Equal(XName.Get("message", XmlNames.JabberClient), message.Name);
        Assert.Equal("x", message.Element(XName.Get("body", XmlNames.JabberClient))?.Value);
    }
}
