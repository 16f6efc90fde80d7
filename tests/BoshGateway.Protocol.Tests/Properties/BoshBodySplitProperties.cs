using System.Text;
using System.Xml.Linq;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;
using CsCheck;

namespace BoshGateway.Protocol.Tests.Properties;

/// <summary>
/// Robustness §3.2, BOSH side: any valid stanza sequence, split across several <c>&lt;body/&gt;</c> wrappers, is
/// forwarded in order and with the same content: each child of each body, made self-contained the way
/// BoshSession.Forward writes it toward the server (<see cref="ElementWriter.ToSelfContained"/>, the body's
/// default namespace not written), read inside a <c>jabber:client</c> stream means exactly what the stanza meant
/// inside its body read as a <c>jabber:client</c> stream (compared as canonical XML: declarations moved onto the
/// start tag are the only difference allowed); a stanza that inherits nothing but the default namespace is
/// forwarded byte for byte.
/// </summary>
public class BoshBodySplitProperties
{
    private const string RootDeclarations = "xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh' xmlns:"
        + StanzaGen.RootPrefix + "='" + StanzaGen.RootPrefixUri + "'";

    /// <summary>The stanza as the server must understand it: in a c2s stream that also declares the body's own prefixes.</summary>
    private const string IntendedContext = "xmlns='jabber:client' xmlns:xmpp='urn:xmpp:xbosh' xmlns:" + StanzaGen.RootPrefix + "='" + StanzaGen.RootPrefixUri + "'";

    /// <summary>What the server's stream declares: a forwarded element may rely on nothing else.</summary>
    private const string StreamContext = "xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'";

    /// <summary>The stanzas and the bodies carrying them, in rid order.</summary>
    internal sealed record BodiesCase(Stanza[] Stanzas, string[] Bodies)
    {
        public override string ToString() => string.Join("\n", Bodies);
    }

    private static readonly Gen<BodiesCase> Cases =
        from stanzas in StanzaGen.Stanzas(max: 8)
        from cuts in Gen.Int[0, stanzas.Length].Array[0, 4]
        from gaps in StanzaGen.Between.Array[stanzas.Length + 1]
        from quote in Gen.OneOf("'", "\"")
        select new BodiesCase(stanzas, Bodies(stanzas, [.. cuts.Append(0).Append(stanzas.Length).Distinct().Order()], gaps, quote));

    private static string[] Bodies(Stanza[] stanzas, int[] bounds, string[] gaps, string quote)
    {
        var bodies = new string[bounds.Length - 1];
        for (var b = 0; b < bodies.Length; b++)
        {
            var sb = new StringBuilder($"<body rid={quote}{1001 + b}{quote} sid={quote}s1{quote} ").Append(RootDeclarations).Append('>');
            for (var i = bounds[b]; i < bounds[b + 1]; i++)
            {
                sb.Append(gaps[i]).Append(stanzas[i].Xml);
            }
            sb.Append(gaps[bounds[b + 1]]).Append("</body>");
            bodies[b] = sb.ToString();
        }
        return bodies;
    }

    private static readonly HashSet<string> BodyPrefixes = ["", "xmpp", StanzaGen.RootPrefix];

    [Fact]
    public void AnyStanzaSequence_SplitAcrossBodies_IsForwardedInOrderWithTheSameContent()
    {
        Cases.Sample(c =>
        {
            var forwarded = new List<(XmlElement Element, byte[] Bytes)>();
            var rid = 1001L;
            foreach (var text in c.Bodies)
            {
                var body = BoshBodyParser.Parse(Encoding.UTF8.GetBytes(text));
                Assert.Equal(rid++, body.Rid);
                foreach (var child in body.Children)
                {
                    Assert.Null(ClientElementPolicy.Refusal(child));
                    forwarded.Add((child, ElementWriter.ToSelfContained(child, body.Wrapper.Namespaces, includeDefault: false).ToArray()));
                }
            }

            Assert.Equal(c.Stanzas.Length, forwarded.Count);
            for (var i = 0; i < c.Stanzas.Length; i++)
            {
                var stanza = c.Stanzas[i];
                StreamSplitProperties.AssertElement(stanza, forwarded[i].Element, BodyPrefixes);
                var sent = Encoding.UTF8.GetString(forwarded[i].Bytes);
                var expected = StanzaGen.Canonical(stanza.Xml, IntendedContext);
                var actual = StanzaGen.Canonical(sent, StreamContext);
                Assert.True(XNode.DeepEquals(expected, actual), $"stanza {i} changed meaning:\n  sent      {stanza.Xml}\n  forwarded {sent}");
                if (!stanza.UsesRootPrefix)
                {
                    Assert.Equal(stanza.Bytes, forwarded[i].Bytes);
                }
            }
        }, print: c => c.ToString());
    }
}
