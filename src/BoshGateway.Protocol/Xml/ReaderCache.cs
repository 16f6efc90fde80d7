namespace BoshGateway.Protocol.Xml;

/// <summary>A handler that one cached reader feeds again and again; cleared before each document.</summary>
internal interface IReusableHandler : IXmlStreamHandler
{
    void Clear();
}

/// <summary>
/// One document-mode reader per thread and handler type, reused: a fresh reader's buffers were most
/// of a parse's allocations (docs/benchmarks.md). Parsing is synchronous, so a thread never needs two.
/// </summary>
internal static class ReaderCache<THandler>
    where THandler : class, IReusableHandler, new()
{
    [ThreadStatic]
    private static (THandler Handler, XmlStreamReader Reader, XmlLimits? Limits)? t_cached;

    /// <summary>A cleared handler and a reset reader that feeds it, for <paramref name="limits"/>.</summary>
    public static (THandler Handler, XmlStreamReader Reader) Rent(XmlLimits? limits)
    {
        if (t_cached is { } cached && ReferenceEquals(cached.Limits, limits))
        {
            cached.Handler.Clear();
            cached.Reader.Reset();
            return (cached.Handler, cached.Reader);
        }
        var handler = new THandler();
        var reader = new XmlStreamReader(handler, limits, documentMode: true);
        t_cached = (handler, reader, limits);
        return (handler, reader);
    }
}
