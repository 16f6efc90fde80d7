using System.Text;
using BenchmarkDotNet.Attributes;
using BoshGateway.Protocol.Framing;

namespace BoshGateway.Benchmarks;

/// <summary>The WebSocket client-to-server hot path: one RFC 7395 message checked and cut into its element.</summary>
[MemoryDiagnoser]
public class ClientFrameBenchmarks
{
    private readonly byte[] _message = Encoding.UTF8.GetBytes("<message xmlns='jabber:client' to='bob@example.org' type='chat' id='m1'><body>Hello Bob, how are you today?</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>");

    [Benchmark]
    public int ParseMessage() => ClientFrameParser.Parse(_message).Element.Raw.Length;
}
