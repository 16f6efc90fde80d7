using System.Text;
using BoshGateway.Protocol.Framing;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Protocol.Tests.Framing;

public class ClientFrameParserTests
{
    private static ClientFrame Parse(string xml) => ClientFrameParser.Parse(Encoding.UTF8.GetBytes(xml));

    private static string Refusal(string xml) => Assert.Throws<XmlStreamException>(() => Parse(xml)).StreamErrorCondition;

    [Theory]
    [InlineData("<?xml version='1.1'?><message xmlns='jabber:client'/>")]
    [InlineData("<?xml version=\"1.1\" encoding=\"UTF-8\"?><message xmlns='jabber:client'/>")]
    [InlineData("<?xml encoding='UTF-8'?><message xmlns='jabber:client'/>")]
    [InlineData("<?xml-stylesheet href='x'?><message xmlns='jabber:client'/>")]
    [InlineData(" <?xml version='1.0'?><message xmlns='jabber:client'/>")]
    [InlineData("<message xmlns='jabber:client'/><?xml version='1.0'?>")]
    public void Parse_XmlDeclarationNotVersion1OrNotAtTheStart_IsRestrictedXml(string xml)
    {
        Assert.Equal("restricted-xml", Refusal(xml));
    }

    [Theory]
    [InlineData("UTF-16")]
    [InlineData("utf-16")]
    [InlineData("ISO-8859-1")]
    [InlineData("US-ASCII")]
    public void Parse_NonUtf8EncodingDeclaration_IsUnsupportedEncoding(string encoding)
    {
        Assert.Equal("unsupported-encoding", Refusal($"<?xml version='1.0' encoding='{encoding}'?><message xmlns='jabber:client'/>"));
    }

    [Fact]
    public void Parse_UnterminatedXmlDeclaration_IsNotWellFormed()
    {
        Assert.Equal("not-well-formed", Refusal("<?xml version='1.0' <message xmlns='jabber:client'/>"));
    }

    [Theory]
    [InlineData("<?xml version='1.0'?><message xmlns='jabber:client'/>")]
    [InlineData("<?xml version='1.0' encoding='utf-8'?>\n<message xmlns='jabber:client'/>")]
    [InlineData("<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?><message xmlns='jabber:client'/>")]
    public void Parse_Utf8Xml10Declaration_IsAccepted(string xml)
    {
        var frame = Parse(xml);
        Assert.Equal(ClientFrameKind.Element, frame.Kind);
        Assert.Equal("message", frame.Element.LocalName);
    }

    [Theory]
    [InlineData("<message xmlns='jabber:server' to='bob@localhost' from='admin@localhost'><body>x</body></message>")]
    [InlineData("<presence xmlns='jabber:server'/>")]
    [InlineData("<iq xmlns='jabber:server' type='get' id='1'/>")]
    [InlineData("<iq xmlns='jabber:component:accept' type='get' id='1'/>")]
    [InlineData("<message xmlns=''/>")]
    [InlineData("<s:message xmlns:s='jabber:server'/>")]
    public void Parse_StanzaOutsideJabberClient_IsInvalidNamespace(string xml)
    {
        Assert.Equal("invalid-namespace", Refusal(xml));
    }

    [Theory]
    [InlineData("<db:result xmlns:db='jabber:server:dialback' from='evil.example' to='localhost'>key</db:result>")]
    [InlineData("<compress xmlns='http://jabber.org/protocol/compress'><method>zlib</method></compress>")]
    [InlineData("<foo xmlns='jabber:client'/>")]
    [InlineData("<foo/>")]
    [InlineData("<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")]
    [InlineData("<stream:features xmlns:stream='http://etherx.jabber.org/streams'/>")]
    public void Parse_ElementNoClientMaySend_IsUnsupportedStanzaType(string xml)
    {
        Assert.Equal("unsupported-stanza-type", Refusal(xml));
    }

    [Theory]
    [InlineData("<message to='bob@localhost'><body>inherits jabber:client</body></message>")]
    [InlineData("<iq xmlns='jabber:client' type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")]
    [InlineData("<c:presence xmlns:c='jabber:client'/>")]
    [InlineData("<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGFsaWNlAHNlY3JldA==</auth>")]
    [InlineData("<authenticate xmlns='urn:xmpp:sasl:2' mechanism='PLAIN'><initial-response>x</initial-response></authenticate>")]
    [InlineData("<enable xmlns='urn:xmpp:sm:3' resume='true'/>")]
    [InlineData("<a xmlns='urn:xmpp:sm:3' h='1'/>")]
    [InlineData("<enable xmlns='urn:xmpp:sm:2'/>")]
    [InlineData("<inactive xmlns='urn:xmpp:csi:0'/>")]
    [InlineData("<stream:error xmlns:stream='http://etherx.jabber.org/streams'><undefined-condition xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>")]
    public void Parse_ClientStanzaOrKnownStreamElement_IsAnElement(string xml)
    {
        Assert.Equal(ClientFrameKind.Element, Parse(xml).Kind);
    }

    [Fact]
    public void Parse_StartTls_IsItsOwnKind_NotAnElementToForward()
    {
        var frame = Parse("<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>");
        Assert.Equal("StartTls", frame.Kind.ToString());
    }
}
