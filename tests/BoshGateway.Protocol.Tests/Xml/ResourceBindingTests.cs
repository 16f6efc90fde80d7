using System.Text;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Protocol.Tests.Xml;

public class ResourceBindingTests
{
    private static XmlElement Read(string stanza)
    {
        var handler = new RecordingHandler();
        new XmlStreamReader(handler).Feed(Encoding.UTF8.GetBytes("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" + stanza));
        return handler.Elements.Single();
    }

    [Theory]
    [InlineData("<iq type='result' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>alice@example.org/web</jid></bind></iq>", "alice@example.org/web")]
    [InlineData("<iq id='b1' type='result'><bind xmlns=\"urn:ietf:params:xml:ns:xmpp-bind\"><jid> bob@example.org/ü </jid></bind></iq>", "bob@example.org/ü")]
    public void BindResult_GivesTheJid(string stanza, string jid) => Assert.Equal(jid, ResourceBinding.TryGetBoundJid(Read(stanza)));

    [Theory]
    [InlineData("<iq type='set' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>a@b/c</jid></bind></iq>")]
    [InlineData("<iq type='result' id='r1'><query xmlns='jabber:iq:roster'><item jid='a@b'/></query></iq>")]
    [InlineData("<message><body>&lt;jid&gt;urn:ietf:params:xml:ns:xmpp-bind</body></message>")]
    [InlineData("<iq type='result' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></iq>")]
    [InlineData("<iq type='result' id='b1'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>a&amp;b@c/d</jid></bind></iq>")]
    public void OtherElements_GiveNothing(string stanza) => Assert.Null(ResourceBinding.TryGetBoundJid(Read(stanza)));
}
