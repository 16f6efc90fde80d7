using System.Text;
using BoshGateway.Protocol.Tests.Xml;
using BoshGateway.Protocol.Xml;
using CsCheck;

namespace BoshGateway.Protocol.Tests.Properties;

/// <summary>
/// Robustness §3.2: the backend stream reader cuts any valid stanza sequence, however TCP splits it
/// (inside tags, entities, CDATA markers, multi-byte characters), into exactly the elements written,
/// byte for byte and in order. A failure prints the CsCheck seed; rerun with <c>seed:</c> or
/// <c>-e CsCheck_Seed=...</c>.
/// </summary>
public class StreamSplitProperties
{
    private const string Header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:"
        + StanzaGen.RootPrefix + "='" + StanzaGen.RootPrefixUri + "' from='localhost' id='s&amp;1' version='1.0' xml:lang='en'>";

    private static readonly HashSet<string> HeaderPrefixes = ["", "stream", StanzaGen.RootPrefix];

    /// <summary>The stream, what it holds, and where TCP cut it.</summary>
    internal sealed record StreamCase(Stanza[] Stanzas, string[] Gaps, bool[] RestartBefore, bool Closed, byte[] Bytes, int[] Cuts)
    {
        public override string ToString() =>
            $"cuts [{string.Join(",", Cuts)}] of {Bytes.Length} bytes:\n{Encoding.UTF8.GetString(Bytes)}";
    }

    private static readonly Gen<StreamCase> Cases =
        from stanzas in StanzaGen.Stanzas(max: 6)
        from gaps in StanzaGen.Between.Array[stanzas.Length + 1]
        from restarts in Gen.Frequency((6, Gen.Const(false)), (1, Gen.Const(true))).Array[stanzas.Length]
        from closed in Gen.Bool
        let bytes = Serialise(stanzas, gaps, restarts, closed)
        from cuts in Gen.Frequency(
            (6, Gen.Int[0, bytes.Length].Array[0, 16]),
            (1, Gen.Const(Enumerable.Range(1, bytes.Length - 1).ToArray())))
        select new StreamCase(stanzas, gaps, restarts, closed, bytes, [.. cuts.Distinct().Order()]);

    private static byte[] Serialise(Stanza[] stanzas, string[] gaps, bool[] restarts, bool closed)
    {
        var sb = new StringBuilder("<?xml version='1.0'?>").Append(Header);
        for (var i = 0; i < stanzas.Length; i++)
        {
            sb.Append(gaps[i]);
            if (restarts[i])
            {
                sb.Append("<?xml version='1.0' encoding='UTF-8'?>").Append(Header);
            }
            sb.Append(stanzas[i].Xml);
        }
        sb.Append(gaps[^1]);
        if (closed)
        {
            sb.Append("</stream:stream>");
        }
        return Encoding.UTF8.GetBytes(sb.ToString());
    }

    [Fact]
    public void AnyStanzaSequence_SplitAnyWay_ArrivesByteEqualAndInOrder()
    {
        Cases.Sample(c =>
        {
            var handler = new RecordingHandler();
            var reader = new XmlStreamReader(handler, allowRestart: true);
            var from = 0;
            foreach (var cut in c.Cuts.Append(c.Bytes.Length))
            {
                reader.Feed(c.Bytes.AsSpan(from, cut - from));
                from = cut;
            }

            var expectedEvents = new List<string> { "H:stream:stream" };
            for (var i = 0; i < c.Stanzas.Length; i++)
            {
                if (c.RestartBefore[i])
                {
                    expectedEvents.Add("H:stream:stream");
                }
                expectedEvents.Add("E:" + c.Stanzas[i].Xml);
            }
            if (c.Closed)
            {
                expectedEvents.Add("END");
            }
            Assert.Equal(expectedEvents, handler.Events);
            Assert.Equal(c.Stanzas.Length, handler.Elements.Count);
            for (var i = 0; i < c.Stanzas.Length; i++)
            {
                AssertElement(c.Stanzas[i], handler.Elements[i], HeaderPrefixes);
            }
            Assert.Equal(c.Closed, reader.RootClosed);
            Assert.False(reader.IsInsideElement);
        }, print: c => c.ToString());
    }

    /// <summary>The element is the stanza: its exact bytes, its name, its decoded start-tag attributes, and what it inherits from the root.</summary>
    internal static void AssertElement(Stanza stanza, XmlElement element, IReadOnlySet<string> rootPrefixes)
    {
        Assert.Equal(stanza.Bytes, element.Raw.ToArray());
        Assert.Equal(stanza.Element.Name, element.QualifiedName);
        Assert.Equal(
            stanza.Element.Attrs.Select(a => (a.Name, a.Decoded)),
            element.Attributes.Select(a => (a.Name, a.Value)));
        Assert.Equal(
            stanza.InheritedPrefixes.Where(rootPrefixes.Contains).Order(StringComparer.Ordinal),
            element.InheritedPrefixes.Order(StringComparer.Ordinal));
    }
}
