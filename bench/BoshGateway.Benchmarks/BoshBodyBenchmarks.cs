using System.Text;
using BenchmarkDotNet.Attributes;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Benchmarks;

/// <summary>The client-to-server hot path: one BOSH request parsed and its payload prepared for the stream, and one answer written.</summary>
[MemoryDiagnoser]
public class BoshBodyBenchmarks
{
    private byte[] _request = [];
    private ReadOnlyMemory<byte>[] _children = [];

    [GlobalSetup]
    public void Setup()
    {
        _request = Encoding.UTF8.GetBytes(
            "<body rid='1573741820' sid='0123456789abcdef0123456789abcdef' xmlns='http://jabber.org/protocol/httpbind'>" +
            "<message xmlns='jabber:client' to='bob@example.org' type='chat' id='abc'><body>Hello there, how are you?</body></message></body>");
        _children = [Encoding.UTF8.GetBytes("<message xmlns='jabber:client' from='bob@example.org/web' to='alice@example.org' type='chat' id='r1'><body>Fine, thanks!</body></message>")];
    }

    [Benchmark]
    public int ParseRequestAndPreparePayload()
    {
        var body = BoshBodyParser.Parse(_request);
        var total = 0;
        foreach (var child in body.Children)
        {
            total += ElementWriter.ToSelfContained(child, body.Wrapper.Namespaces, includeDefault: false).Length;
        }
        return total;
    }

    [Benchmark]
    public int WriteAnswer() => BoshResponseWriter.Write([], _children, false, false).Length;
}
