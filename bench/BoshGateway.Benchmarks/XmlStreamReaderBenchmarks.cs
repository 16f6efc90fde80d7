using System.Text;
using BenchmarkDotNet.Attributes;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Benchmarks;

/// <summary>The server-to-client hot path: cutting a TCP stream into stanzas and making each self-contained.</summary>
[MemoryDiagnoser]
public class XmlStreamReaderBenchmarks
{
    private const int Stanzas = 1000;
    private byte[] _stream = [];
    private byte[] _header = [];

    [GlobalSetup]
    public void Setup()
    {
        _header = Encoding.UTF8.GetBytes("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='x' version='1.0'>");
        var builder = new StringBuilder();
        for (var i = 0; i < Stanzas; i++)
        {
            builder.Append(System.Globalization.CultureInfo.InvariantCulture,
                $"<message from='alice@example.org/web' to='bob@example.org' type='chat' id='m{i}'><body>Hello Bob, this is message {i} &amp; more text.</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>");
        }
        _stream = Encoding.UTF8.GetBytes(builder.ToString());
    }

    /// <summary>Bytes of stanzas read per call (divide by the time for throughput).</summary>
    public int StreamBytes => _stream.Length;

    [Benchmark(OperationsPerInvoke = Stanzas)]
    public int ReadStanzas()
    {
        var counter = new Counter();
        var reader = new XmlStreamReader(counter);
        reader.Feed(_header);
        reader.Feed(_stream);
        return counter.Count;
    }

    [Benchmark(OperationsPerInvoke = Stanzas)]
    public int ReadStanzasAndMakeSelfContained()
    {
        var counter = new Counter { FixUp = true };
        var reader = new XmlStreamReader(counter);
        reader.Feed(_header);
        reader.Feed(_stream);
        return counter.Count;
    }

    private sealed class Counter : IXmlStreamHandler
    {
        private IReadOnlyDictionary<string, string> _namespaces = new Dictionary<string, string>();

        public bool FixUp { get; init; }

        public int Count { get; private set; }

        public void OnStreamHeader(XmlStreamHeader header) => _namespaces = header.Namespaces;

        public void OnElement(XmlElement element)
        {
            Count += FixUp ? ServerElementFilter.ToClient(element, _namespaces).Length : 1;
        }

        public void OnStreamEnd()
        {
        }
    }
}
