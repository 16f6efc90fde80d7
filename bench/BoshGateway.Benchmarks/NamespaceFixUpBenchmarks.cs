using System.Text;
using BenchmarkDotNet.Attributes;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Benchmarks;

/// <summary>
/// Namespace fix-ups alone (the elements are read once in setup): a server stanza made self-contained
/// for a web client (XEP-0206 §6, RFC 7395 §3.3.3), for the common case (a message inheriting
/// <c>jabber:client</c>), a stanza using a prefix declared on the stream header, and stream features
/// (which are also filtered).
/// </summary>
[MemoryDiagnoser]
public class NamespaceFixUpBenchmarks
{
    private readonly List<XmlElement> _elements = [];
    private IReadOnlyDictionary<string, string> _namespaces = new Dictionary<string, string>();

    [GlobalSetup]
    public void Setup()
    {
        var reader = new XmlStreamReader(new Collector(this));
        reader.Feed(Encoding.UTF8.GetBytes(
            "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' xmlns:ext='urn:example:ext' id='x' version='1.0'>" +
            "<message from='alice@example.org/web' to='bob@example.org' type='chat' id='m1'><body>Hello Bob, this is a message &amp; more text.</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>" +
            "<iq type='result' id='q1' to='bob@example.org/web'><ext:query><ext:item name='one'/><ext:item name='two'/></ext:query></iq>" +
            "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1-PLUS</mechanism><mechanism>SCRAM-SHA-1</mechanism><mechanism>PLAIN</mechanism></mechanisms><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>"));
    }

    [Benchmark]
    public int Message() => ServerElementFilter.ToClient(_elements[0], _namespaces).Length;

    [Benchmark]
    public int PrefixFromStreamHeader() => ServerElementFilter.ToClient(_elements[1], _namespaces).Length;

    [Benchmark]
    public int StreamFeatures() => ServerElementFilter.ToClient(_elements[2], _namespaces).Length;

    private sealed class Collector(NamespaceFixUpBenchmarks owner) : IXmlStreamHandler
    {
        public void OnStreamHeader(XmlStreamHeader header) => owner._namespaces = header.Namespaces;

        public void OnElement(XmlElement element) => owner._elements.Add(element);

        public void OnStreamEnd()
        {
        }
    }
}
