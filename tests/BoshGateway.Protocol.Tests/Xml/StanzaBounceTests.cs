using System.Text;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Protocol.Tests.Xml;

public class StanzaBounceTests
{
    private static XmlElement Read(string stanza)
    {
        var handler = new RecordingHandler();
        new XmlStreamReader(handler).Feed(Encoding.UTF8.GetBytes("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>" + stanza));
        return handler.Elements.Single();
    }

    [Theory]
    [InlineData("<message from='a@b/c' id='1' type='chat'/>", "<message type='error' to='a@b/c' id='1'><error type='wait'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>")]
    [InlineData("<message from='a&amp;b@c' id='x&apos;y'/>", "<message type='error' to='a&amp;b@c' id='x&apos;y'><error type='wait'><recipient-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></message>")]
    [InlineData("<iq from='a@b/c' id='2' type='set'/>", "<iq type='error' to='a@b/c' id='2'><error type='cancel'><service-unavailable xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></iq>")]
    public void Bounce_IsTheRightError(string stanza, string expected) =>
        Assert.Equal(expected, Encoding.UTF8.GetString(StanzaBounce.For(Read(stanza))!));

    [Theory]
    [InlineData("<presence from='a@b/c'/>")]
    [InlineData("<message from='a@b/c' type='error'/>")]
    [InlineData("<message from='room@muc/nick' type='groupchat'/>")]
    [InlineData("<iq from='a@b/c' id='3' type='result'/>")]
    [InlineData("<message id='no-from'/>")]
    [InlineData("<a xmlns='urn:xmpp:sm:3' h='1'/>")]
    public void NoBounce_ForWhatMustNotBeAnswered(string stanza) => Assert.Null(StanzaBounce.For(Read(stanza)));
}
