using System.Text;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Protocol.Tests.Xml;

public class XmlStreamReaderTests
{
    private const string Header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='abc' from='localhost' version='1.0'>";

    private const string Stanzas =
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>" +
        " \n<message to='a@b' type='chat' id='1'><body>caf\u00e9 &amp; &#x1F600; &lt;tag&gt;</body><x xmlns:p='urn:p' p:attr='v'/></message>" +
        "<iq type='result' id='2'><![CDATA[ raw <data> ]]></iq>" +
        "<presence/>" +
        "</stream:stream>";

    private static RecordingHandler Feed(string xml, bool allowRestart = false, XmlLimits? limits = null)
    {
        var handler = new RecordingHandler();
        new XmlStreamReader(handler, limits, allowRestart: allowRestart).Feed(Encoding.UTF8.GetBytes(xml));
        return handler;
    }

    [Fact]
    public void StreamHeadersOfTwoStreams_ShareTheirCommonNames()
    {
        // Every session keeps its server stream's header: its names must not be copies per session.
        var first = Feed(Header).Headers[0];
        var second = Feed(Header).Headers[0];

        Assert.Same(first.LocalName, second.LocalName);
        Assert.Same(first.NamespaceUri, second.NamespaceUri);
        Assert.Same(first.Namespaces.Keys.Single(k => k.Length > 0), second.Namespaces.Keys.Single(k => k.Length > 0));
        Assert.Equal("stream", first.LocalName);
    }

    [Fact]
    public void StreamHeader_NamespaceDeclarations_AreLookedUpByPrefix()
    {
        var namespaces = Feed(Header).Headers[0].Namespaces;

        Assert.Equal(2, namespaces.Count);
        Assert.Equal("jabber:client", namespaces[""]);
        Assert.True(namespaces.TryGetValue("stream", out var streams));
        Assert.Equal("http://etherx.jabber.org/streams", streams);
        Assert.False(namespaces.ContainsKey("db"));
        Assert.Throws<KeyNotFoundException>(() => namespaces["db"]);
        Assert.Equal(["", "stream"], namespaces.Keys);
        Assert.Empty(Feed("<stream>").Headers[0].Namespaces);
    }

    [Fact]
    public void Feed_WholeStream_YieldsHeaderElementsAndEnd()
    {
        var handler = Feed(Header + Stanzas);

        Assert.Equal("H:stream:stream", handler.Events[0]);
        Assert.Equal(["stream:features", "message", "iq", "presence"], handler.Elements.Select(e => e.QualifiedName));
        Assert.Equal("END", handler.Events[^1]);
        Assert.Equal("abc", handler.Headers[0].GetAttribute("id"));
        Assert.Equal(XmlNames.Streams, handler.Elements[0].NamespaceUri);
        Assert.Equal(XmlNames.JabberClient, handler.Elements[1].NamespaceUri);
        Assert.Equal("<presence/>", handler.Elements[3].ToString());
    }

    [Fact]
    public void Feed_SplitAtEveryByteBoundary_YieldsTheSameEvents()
    {
        var bytes = Encoding.UTF8.GetBytes(Header + Stanzas);
        var expected = Feed(Header + Stanzas).Events;
        for (var split = 1; split < bytes.Length; split++)
        {
            var handler = new RecordingHandler();
            var reader = new XmlStreamReader(handler);
            reader.Feed(bytes.AsSpan(0, split));
            reader.Feed(bytes.AsSpan(split));
            Assert.Equal(expected, handler.Events);
        }
    }

    [Fact]
    public void Feed_OneByteAtATime_YieldsTheSameEvents()
    {
        var bytes = Encoding.UTF8.GetBytes(Header + Stanzas);
        var handler = new RecordingHandler();
        var reader = new XmlStreamReader(handler);
        foreach (var b in bytes)
        {
            reader.Feed([b]);
        }
        Assert.Equal(Feed(Header + Stanzas).Events, handler.Events);
    }

    [Fact]
    public void Element_RawBytes_AreExactlyWhatWasReceived()
    {
        var message = "<message to='a@b'><body>x &amp; y</body></message>";
        var handler = Feed(Header + message);
        Assert.Equal(message, handler.Elements.Single().ToString());
        Assert.Equal("a@b", handler.Elements[0].GetAttribute("to"));
    }

    [Fact]
    public void Element_InheritedPrefixes_ListDefaultAndStreamOnlyWhenUsed()
    {
        var handler = Feed(Header + "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/></stream:features><message><body/></message><a xmlns='urn:x'><b/></a>");

        Assert.Equal(["stream"], handler.Elements[0].InheritedPrefixes);
        Assert.Equal([""], handler.Elements[1].InheritedPrefixes);
        Assert.Empty(handler.Elements[2].InheritedPrefixes);
    }

    [Fact]
    public void Element_PrefixDeclaredInsideAndUsedOutsideItsScope_IsInherited()
    {
        var handler = Feed("<root xmlns:p='urn:p'>" + "<a><b xmlns:p='urn:q'/><p:c/></a>");
        Assert.Contains("p", handler.Elements[0].InheritedPrefixes);
    }

    [Fact]
    public void Restart_NewHeaderAtTopLevel_IsReportedAsHeaderWhenAllowed()
    {
        var handler = Feed(Header + "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>" + Header + "<stream:features/>", allowRestart: true);
        Assert.Equal(["H:stream:stream", "E:<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>", "H:stream:stream", "E:<stream:features/>"], handler.Events);
    }

    [Fact]
    public void Reset_StartsANewStream()
    {
        var handler = new RecordingHandler();
        var reader = new XmlStreamReader(handler);
        reader.Feed(Encoding.UTF8.GetBytes(Header + "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"));
        reader.Reset();
        reader.Feed(Encoding.UTF8.GetBytes(Header + "<presence/>"));
        Assert.Equal(2, handler.Headers.Count);
        Assert.Equal(2, handler.Elements.Count);
    }

    [Fact]
    public void IsInsideElement_TrueOnlyInTheMiddleOfAnElement()
    {
        var reader = new XmlStreamReader(new RecordingHandler());
        reader.Feed(Encoding.UTF8.GetBytes(Header));
        Assert.False(reader.IsInsideElement);
        reader.Feed(Encoding.UTF8.GetBytes("<message><bo"));
        Assert.True(reader.IsInsideElement);
        reader.Feed(Encoding.UTF8.GetBytes("dy/></message>"));
        Assert.False(reader.IsInsideElement);
    }

    [Theory]
    [InlineData("<!DOCTYPE x [<!ENTITY a 'aaaa'>]><stream:stream>", XmlStreamError.RestrictedXml)]
    [InlineData("<message><!-- hi --></message>", XmlStreamError.RestrictedXml)]
    [InlineData("<message><?php evil ?></message>", XmlStreamError.RestrictedXml)]
    [InlineData("<message>&xxe;</message>", XmlStreamError.RestrictedXml)]
    [InlineData("<message>&#0;</message>", XmlStreamError.NotWellFormed)]
    [InlineData("<message>&#xD800;</message>", XmlStreamError.NotWellFormed)]
    [InlineData("<message></iq>", XmlStreamError.NotWellFormed)]
    [InlineData("<message a='1' a='2'/>", XmlStreamError.NotWellFormed)]
    [InlineData("<message a=1/>", XmlStreamError.NotWellFormed)]
    [InlineData("<message a='<'/>", XmlStreamError.NotWellFormed)]
    [InlineData("<message a='1'b='2'/>", XmlStreamError.NotWellFormed)]
    [InlineData("<x:message/>", XmlStreamError.NotWellFormed)]
    [InlineData("<message><x:y/></message>", XmlStreamError.NotWellFormed)]
    [InlineData("<message x:a='1'/>", XmlStreamError.NotWellFormed)]
    [InlineData("hello", XmlStreamError.BadFormat)]
    [InlineData("<![CDATA[x]]>", XmlStreamError.BadFormat)]
    [InlineData("<message>\u0001</message>", XmlStreamError.NotWellFormed)]
    [InlineData("<message>\uFFFE</message>", XmlStreamError.NotWellFormed)]
    [InlineData("<1message/>", XmlStreamError.NotWellFormed)]
    public void Feed_BadInputAfterHeader_Throws(string input, XmlStreamError expected)
    {
        var ex = Assert.Throws<XmlStreamException>(() => Feed(Header + input));
        Assert.Equal(expected, ex.Error);
    }

    [Theory]
    [InlineData("<?xml version='1.1'?><a/>", XmlStreamError.RestrictedXml)]
    [InlineData("<?xml version='1.0' encoding='UTF-16'?><a/>", XmlStreamError.UnsupportedEncoding)]
    [InlineData("<?xml version='1.0' encoding='ISO-8859-1'?><a/>", XmlStreamError.UnsupportedEncoding)]
    [InlineData("<!DOCTYPE a SYSTEM 'file:///etc/passwd'><a/>", XmlStreamError.RestrictedXml)]
    [InlineData("<a/><b/>", XmlStreamError.NotWellFormed)]
    [InlineData("</a>", XmlStreamError.NotWellFormed)]
    public void Feed_BadDocument_Throws(string input, XmlStreamError expected)
    {
        var ex = Assert.Throws<XmlStreamException>(() => new XmlStreamReader(new RecordingHandler(), documentMode: true).Feed(Encoding.UTF8.GetBytes(input)));
        Assert.Equal(expected, ex.Error);
    }

    [Theory]
    [InlineData(new byte[] { 0xC0, 0xAF })] // overlong '/'
    [InlineData(new byte[] { 0xED, 0xA0, 0x80 })] // surrogate
    [InlineData(new byte[] { 0xF5, 0x80, 0x80, 0x80 })] // beyond U+10FFFF
    [InlineData(new byte[] { 0xE2, 0x28, 0xA1 })] // bad continuation
    [InlineData(new byte[] { 0x80 })] // lone continuation
    public void Feed_InvalidUtf8_Throws(byte[] bad)
    {
        var reader = new XmlStreamReader(new RecordingHandler());
        reader.Feed(Encoding.UTF8.GetBytes(Header + "<message><body>"));
        var ex = Assert.Throws<XmlStreamException>(() => reader.Feed(bad.Concat("</body></message>"u8.ToArray()).ToArray()));
        Assert.Equal(XmlStreamError.NotWellFormed, ex.Error);
    }

    [Fact]
    public void Feed_BillionLaughs_IsRefusedAtTheDoctype()
    {
        var bomb = new StringBuilder("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>");
        for (var i = 1; i < 10; i++)
        {
            bomb.Append(System.Globalization.CultureInfo.InvariantCulture, $"<!ENTITY lol{i} '{string.Concat(Enumerable.Repeat($"&lol{i - 1};", 10))}'>");
        }
        bomb.Append("]><body>&lol9;</body>");
        var ex = Assert.Throws<XmlStreamException>(() => new XmlStreamReader(new RecordingHandler(), documentMode: true).Feed(Encoding.UTF8.GetBytes(bomb.ToString())));
        Assert.Equal(XmlStreamError.RestrictedXml, ex.Error);
    }

    [Fact]
    public void Limits_DeepNesting_IsPolicyViolationWithoutRecursion()
    {
        var deep = string.Concat(Enumerable.Repeat("<a>", 100_000));
        var ex = Assert.Throws<XmlStreamException>(() => Feed(Header + "<message>" + deep, limits: new XmlLimits { MaxDepth = 64 }));
        Assert.Equal(XmlStreamError.PolicyViolation, ex.Error);
    }

    [Fact]
    public void Limits_StanzaOverSize_IsPolicyViolationBeforeItEnds()
    {
        var reader = new XmlStreamReader(new RecordingHandler(), new XmlLimits { MaxElementBytes = 1024 });
        reader.Feed(Encoding.UTF8.GetBytes(Header + "<message><body>"));
        var ex = Assert.Throws<XmlStreamException>(() => reader.Feed(new byte[2048].Select(_ => (byte)'x').ToArray()));
        Assert.Equal(XmlStreamError.PolicyViolation, ex.Error);
    }

    [Fact]
    public void Limits_StanzaExactlyAtLimit_IsAccepted()
    {
        var message = "<message>" + new string('x', 1024 - "<message></message>".Length) + "</message>";
        Assert.Equal(1024, Encoding.UTF8.GetByteCount(message));
        var handler = Feed(Header + message, limits: new XmlLimits { MaxElementBytes = 1024 });
        Assert.Single(handler.Elements);
    }

    [Fact]
    public void Limits_TooManyAttributes_IsPolicyViolation()
    {
        var attrs = string.Join(' ', Enumerable.Range(0, 100).Select(i => $"a{i}='x'"));
        var ex = Assert.Throws<XmlStreamException>(() => Feed(Header + $"<message {attrs}/>", limits: new XmlLimits { MaxAttributes = 64 }));
        Assert.Equal(XmlStreamError.PolicyViolation, ex.Error);
    }

    [Fact]
    public void Limits_LongName_IsPolicyViolation()
    {
        var ex = Assert.Throws<XmlStreamException>(() => Feed(Header + "<" + new string('a', 1000) + "/>"));
        Assert.Equal(XmlStreamError.PolicyViolation, ex.Error);
    }

    [Fact]
    public void Limits_NameExactlyAtLimit_IsAcceptedAndOneMoreIsNot()
    {
        var name = new string('n', XmlLimits.Default.MaxNameBytes);
        var handler = Feed(Header + $"<message><{name} {name}='v'/></message><{name}/>");
        Assert.Equal(["message", name], handler.Elements.Select(e => e.QualifiedName));

        var ex = Assert.Throws<XmlStreamException>(() => Feed(Header + $"<message><{name}n/></message>"));
        Assert.Equal(XmlStreamError.PolicyViolation, ex.Error);
    }

    /// <summary>An element that spans chunks is gathered in a pooled buffer that grows as it arrives.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(97)]
    [InlineData(4096)]
    public void Feed_LargeElementAcrossManyChunks_ArrivesByteEqual(int chunk)
    {
        var large = "<message id='big'><body>" + string.Concat(Enumerable.Range(0, 3000).Select(i => $"{i % 10}\u00e9")) + "</body></message>";
        var bytes = Encoding.UTF8.GetBytes(Header + large + "<presence/>" + large);
        var handler = new RecordingHandler();
        var reader = new XmlStreamReader(handler);
        for (var at = 0; at < bytes.Length; at += chunk)
        {
            reader.Feed(bytes.AsSpan(at, Math.Min(chunk, bytes.Length - at)));
        }
        Assert.Equal([large, "<presence/>", large], handler.Elements.Select(e => e.ToString()));
    }

    [Fact]
    public void Entities_InTopLevelAttributes_AreDecoded()
    {
        var handler = Feed(Header + "<message to='a&amp;b&#65;&#x42;&apos;&quot;&lt;&gt;'/>");
        Assert.Equal("a&bAB'\"<>", handler.Elements[0].GetAttribute("to"));
    }

    [Fact]
    public void Document_BoshBody_ChildrenAndEnd()
    {
        var handler = new RecordingHandler();
        var reader = new XmlStreamReader(handler, documentMode: true);
        reader.Feed("<body rid='1' xmlns='http://jabber.org/protocol/httpbind'><message/><presence/></body>  "u8);
        reader.Complete();
        Assert.Equal(["H:body", "E:<message/>", "E:<presence/>", "END"], handler.Events);
    }

    [Fact]
    public void Document_Truncated_FailsOnComplete()
    {
        var reader = new XmlStreamReader(new RecordingHandler(), documentMode: true);
        reader.Feed("<body rid='1' xmlns='http://jabber.org/protocol/httpbind'><message/>"u8);
        Assert.Throws<XmlStreamException>(reader.Complete);
    }

    /// <summary>Found by fuzzing (stream-reader): "]]&gt;" in character data was let through, then broke the features filter (XmlException) and would reach a client's or the server's parser.</summary>
    [Theory]
    [InlineData("<message><body>a]]>b</body></message>")]
    [InlineData("<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>X-]]>S</mechanism></mechanisms></stream:features>")]
    public void Fuzz_CDataEndInCharacterData_IsNotWellFormed(string element)
    {
        AssertNotWellFormedInEverySplit(element);
        var ok = new XmlStreamReader(new RecordingHandler());
        ok.Feed("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'><message><body>]] ]>]<![CDATA[]]]]></body></message>"u8);
    }

    [Theory]
    // The fuzzer's find: a UTF-8 BOM inside an attribute name of the server's features (the filter's
    // System.Xml then threw, not a protocol error). Fifth-edition XML allows these; expat (Prosody,
    // ejabberd) and System.Xml, which read fourth-edition names, refuse them.
    [InlineData("<mechanisms xmlns\uFEFF='urn:ietf:params:xml:ns:xmpp-sasl'/>")]
    [InlineData("<message x\u2070='1'/>")]
    [InlineData("<message\uFFFD/>")]
    [InlineData("<\uF900/>")]
    [InlineData("<a\U00010000/>")]
    [InlineData("<a\u00D7b/>")]
    [InlineData("<message><b\u037E/></message>")]
    [InlineData("<a>text</a\uFEFF>")]
    [InlineData("<\u00B7a/>")]
    public void Fuzz_NameCharactersExpatRefuses_AreNotWellFormed(string element) => AssertNotWellFormedInEverySplit(element);

    [Fact]
    public void NonAsciiNames_ThatExpatAccepts_AreRead()
    {
        var handler = Feed(Header + "<caf\u00E9 n\u00E4me='1' a\u00B7\u0300='2'><\u65E5\u672C/></caf\u00E9>");
        var element = Assert.Single(handler.Elements);
        Assert.Equal("caf\u00E9", element.LocalName);
    }

    [Theory]
    // The fuzzer's finds: System.Xml (the features filter) and expat refuse these declarations.
    [InlineData("<features xmlns:xmlns='urn:x'/>")]
    [InlineData("<message><x xmlns:stream=''/></message>")]
    [InlineData("<message xmlns:p=''/>")]
    [InlineData("<message><a><b xmlns:xml='urn:not-the-xml-namespace'/></a></message>")]
    [InlineData("<message xmlns:p='http://www.w3.org/XML/1998/namespace'/>")]
    [InlineData("<message><a xmlns='http://www.w3.org/2000/xmlns/'/></message>")]
    [InlineData("<message><a xmlns:p='http://www.w3.org/2000/xmlns/'/></message>")]
    [InlineData("<message><a><b><c xmlns:q='&#x0;'/></b></a></message>")]
    public void Fuzz_NamespaceDeclarationsNamespacesInXmlForbids_AreNotWellFormed(string element) => AssertNotWellFormedInEverySplit(element);

    [Fact]
    public void NamespaceDeclarationsNamespacesInXmlAllows_AreRead()
    {
        var handler = Feed(Header + "<message xmlns:xml='http://www.w3.org/XML/1998/namespace'><a xmlns=''><b xmlns:p='urn:p' p:x='1'/></a></message>");
        Assert.Single(handler.Elements);
    }

    /// <summary>In a stream, <paramref name="element"/> split at every byte is not-well-formed.</summary>
    private static void AssertNotWellFormedInEverySplit(string element)
    {
        var bytes = Encoding.UTF8.GetBytes(element);
        for (var split = 1; split < bytes.Length; split++)
        {
            var reader = new XmlStreamReader(new RecordingHandler());
            reader.Feed(Encoding.UTF8.GetBytes(Header));
            var ex = Assert.Throws<XmlStreamException>(() =>
            {
                reader.Feed(bytes.AsSpan(0, split));
                reader.Feed(bytes.AsSpan(split));
            });
            Assert.Equal(XmlStreamError.NotWellFormed, ex.Error);
        }
    }
}
