using BoshGateway.Protocol.Xml;

namespace BoshGateway.Fuzz.Targets;

/// <summary>
/// <c>stream-reader</c>: the backend stream splitter, <see cref="XmlStreamReader"/>, fed in chunks.
/// Input: byte 0 = mode (bits 0-1: 0 backend stream with restarts, 1 stream, 2 document, 3 stream with small limits)
/// and the number of chunk lengths (bits 2-4); then that many chunk lengths (0 counts as 1), used in turn;
/// the rest is the stream. Besides "no unexpected exception", the events (headers, elements' exact bytes,
/// stream end) and the error must not depend on where the stream was split: it is read a second time in one piece
/// and the two readings are compared. Every element, as the client will get it (<see cref="ServerElementFilter"/>),
/// must read back as one well-formed element inside a BOSH body.
/// </summary>
public static class StreamReaderTarget
{
    private static readonly XmlLimits Small = new() { MaxDepth = 4, MaxAttributes = 4, MaxElementBytes = 512, MaxNameBytes = 16, MaxHeaderAttributeBytes = 128 };

    public static void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        var mode = input[0] & 3;
        var count = (input[0] >> 2) & 7;
        var lengths = new List<int>();
        var at = 1;
        for (; at < input.Length && lengths.Count < count; at++)
        {
            lengths.Add(Math.Max(1, (int)input[at]));
        }
        if (lengths.Count == 0)
        {
            lengths.Add(int.MaxValue);
        }
        var data = input.AsSpan(at);

        var split = new Recorder(checkForClient: true);
        var splitError = Read(split, mode, data, lengths);
        var whole = new Recorder(checkForClient: false);
        var wholeError = Read(whole, mode, data, [int.MaxValue]);

        if (splitError?.Error != wholeError?.Error || !split.Events.SequenceEqual(whole.Events))
        {
            throw new FuzzFindingException(
                $"the reading depends on the split ({string.Join(',', lengths)}): split {Describe(split, splitError)} / whole {Describe(whole, wholeError)}");
        }
        if (splitError is not null)
        {
            throw splitError;
        }
    }

    private static string Describe(Recorder recorder, XmlStreamException? error)
        => $"[{string.Join(" | ", recorder.Events)}] {error?.Error.ToString() ?? "ok"} {error?.Message}";

    private static XmlStreamException? Read(Recorder recorder, int mode, ReadOnlySpan<byte> data, List<int> lengths)
    {
        var reader = new XmlStreamReader(recorder, mode == 3 ? Small : null, documentMode: mode == 2, allowRestart: mode is 0 or 3);
        try
        {
            var next = 0;
            while (!data.IsEmpty)
            {
                var length = Math.Min(lengths[next++ % lengths.Count], data.Length);
                reader.Feed(data[..length]);
                data = data[length..];
            }
            if (mode == 2)
            {
                reader.Complete();
            }
            return null;
        }
        catch (XmlStreamException ex)
        {
            return ex;
        }
    }

    private sealed class Recorder(bool checkForClient) : IXmlStreamHandler
    {
        private XmlStreamHeader? _header;

        public List<string> Events { get; } = [];

        public void OnStreamHeader(XmlStreamHeader header)
        {
            _header = header;
            Events.Add($"header {header.QualifiedName} {header.NamespaceUri} {string.Join(" ", header.Attributes.Select(a => a.Name + "=" + a.Value))} empty={header.IsEmptyElement}");
        }

        public void OnElement(XmlElement element)
        {
            Events.Add($"element {element.QualifiedName} {element.NamespaceUri} {Convert.ToHexString(element.Raw.Span)} [{string.Join(',', element.InheritedPrefixes)}]");
            if (checkForClient && _header is not null)
            {
                Wellformed.AsClientSees(ServerElementFilter.ToClient(element, _header.Namespaces).Span, "a server element as sent to the client");
            }
        }

        public void OnStreamEnd() => Events.Add("end");
    }
}
