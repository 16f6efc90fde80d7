using System.Text;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Protocol.Tests.Bosh;

public class BoshBodyParserTests
{
    private static BoshBody Parse(string xml) => BoshBodyParser.Parse(Encoding.UTF8.GetBytes(xml));

    [Fact]
    public void Parse_CreationRequest_ReadsAttributesWhateverThePrefix()
    {
        var body = Parse("<body content='text/xml; charset=utf-8' hold='1' rid='9007199254740991' to='localhost' ver='1.6' wait='60' xml:lang='en' x:version='1.0' xmlns='http://jabber.org/protocol/httpbind' xmlns:x='urn:xmpp:xbosh'/>");
        Assert.Equal(9007199254740991L, body.Rid);
        Assert.Null(body.Sid);
        Assert.Equal("localhost", body.Attribute("to"));
        Assert.Equal("en", body.Attribute("xml:lang"));
        Assert.Equal("1.0", body.XmppAttribute("version"));
        Assert.Equal(60, body.Number("wait"));
        Assert.Empty(body.Children);
    }

    [Fact]
    public void Parse_RestartAndTerminateFlags()
    {
        Assert.True(Parse("<body rid='2' sid='s' xmpp:restart='true' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'/>").IsRestart);
        Assert.True(Parse("<body rid='2' sid='s' type='terminate' xmlns='http://jabber.org/protocol/httpbind'/>").IsTerminate);
    }

    [Fact]
    public void Parse_Children_InOrder()
    {
        var body = Parse("<body rid='3' sid='s' xmlns='http://jabber.org/protocol/httpbind'><auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGEAYg==</auth><message to='x'/></body>");
        Assert.Equal(["auth", "message"], body.Children.Select(c => c.LocalName));
        Assert.Equal(XmlNames.Sasl, body.Children[0].NamespaceUri);
    }

    [Theory]
    [InlineData("<body sid='s' xmlns='http://jabber.org/protocol/httpbind'/>")] // no rid
    [InlineData("<body rid='-1' xmlns='http://jabber.org/protocol/httpbind'/>")]
    [InlineData("<body rid='9007199254740992' xmlns='http://jabber.org/protocol/httpbind'/>")] // 2^53
    [InlineData("<body rid='1' xmlns='urn:other'/>")]
    [InlineData("<html rid='1' xmlns='http://jabber.org/protocol/httpbind'/>")]
    [InlineData("<body rid='1' xmlns='http://jabber.org/protocol/httpbind' xmlns:stream='http://etherx.jabber.org/streams'><stream:stream to='evil'/></body>")]
    public void Parse_BadWrapper_IsBadRequest(string xml)
    {
        var ex = Assert.Throws<BoshProtocolException>(() => Parse(xml));
        Assert.Equal(BoshConditions.BadRequest, ex.Condition);
    }

    [Theory]
    [InlineData("<body rid='1' xmlns='http://jabber.org/protocol/httpbind'>text</body>", XmlStreamError.BadFormat)]
    [InlineData("<body rid='1' xmlns='http://jabber.org/protocol/httpbind'><message>", XmlStreamError.NotWellFormed)]
    [InlineData("<!DOCTYPE body [<!ENTITY x 'y'>]><body rid='1' xmlns='http://jabber.org/protocol/httpbind'/>", XmlStreamError.RestrictedXml)]
    public void Parse_BadXml_Throws(string xml, XmlStreamError expected)
    {
        var ex = Assert.Throws<XmlStreamException>(() => Parse(xml));
        Assert.Equal(expected, ex.Error);
    }

    [Fact]
    public void Writer_BodyWithChildren_IsWellFormedAndEscaped()
    {
        var bytes = BoshResponseWriter.Write([new("sid", "a'b"), new("type", "terminate")], ["<presence xmlns='jabber:client'/>"u8.ToArray()], declareStream: true, declareXmpp: false);
        var doc = System.Xml.Linq.XElement.Parse(Encoding.UTF8.GetString(bytes));
        Assert.Equal("a'b", doc.Attribute("sid")?.Value);
        Assert.Single(doc.Elements());
        Assert.Equal("<body xmlns='http://jabber.org/protocol/httpbind' type='terminate' condition='item-not-found'/>", Encoding.UTF8.GetString(BoshResponseWriter.Terminate("item-not-found")));
    }

    [Fact]
    public void Parse_ReusedReader_KeepsBodiesApart_AndRecoversAfterAnError()
    {
        var first = Parse("<body rid='1' sid='s' xmlns='http://jabber.org/protocol/httpbind'><message id='a'/></body>");
        Assert.Throws<BoshProtocolException>(() => Parse("<body rid='2' sid='s' xmlns='http://jabber.org/protocol/httpbind'><message><"));
        var second = Parse("<body rid='3' sid='s' xmlns='http://jabber.org/protocol/httpbind'><iq id='b'/><presence/></body>");

        Assert.Equal(["message"], first.Children.Select(c => c.LocalName));
        Assert.Equal(["iq", "presence"], second.Children.Select(c => c.LocalName));
        Assert.Equal(3, second.Rid);
    }

    // Robustness A4/A5 over BOSH: the reader checks the declaration that opens a body, as it checks one
    // opening a stream, and the endpoint answers either error with terminate bad-request (the same
    // declarations over WebSocket: ClientFrameParserTests). A declaration inside the body ends its session.
    [Theory]
    [InlineData("<?xml version='1.1'?>", "restricted-xml")]
    [InlineData("<?xml version='1.0' encoding='UTF-16'?>", "unsupported-encoding")]
    [InlineData("<?xml version='1.0' encoding='iso-8859-1'?>", "unsupported-encoding")]
    public void Parse_BadXmlDeclaration_IsRefused_AsBadRequest(string declaration, string streamError)
    {
        var ex = Assert.Throws<XmlStreamException>(() => Parse(declaration + "<body rid='2' sid='s' xmlns='http://jabber.org/protocol/httpbind'/>"));
        Assert.Equal(streamError, ex.StreamErrorCondition);
        Assert.Equal("bad-request", ex.BoshCondition);
    }

    [Fact]
    public void Parse_XmlDeclarationInsideTheBody_EndsThatSessionWithBadRequest()
    {
        var ex = Assert.Throws<BoshProtocolException>(() => Parse("<body rid='2' sid='s' xmlns='http://jabber.org/protocol/httpbind'><?xml version='1.1'?><message/></body>"));
        Assert.Equal("bad-request", ex.Condition);
        Assert.Equal("s", ex.Sid);
    }

    [Fact]
    public void Parse_Utf8Declaration_IsAccepted()
    {
        Assert.Equal(2, Parse("<?xml version='1.0' encoding='UTF-8'?><body rid='2' sid='s' xmlns='http://jabber.org/protocol/httpbind'/>").Rid);
    }
}
