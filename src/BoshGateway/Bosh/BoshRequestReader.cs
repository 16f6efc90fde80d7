using System.Buffers;
using System.IO.Compression;
using System.IO.Pipelines;
using Microsoft.Net.Http.Headers;

namespace BoshGateway.Bosh;

/// <summary>Reads a request body up to a byte limit, gunzipping it when the client sent <c>Content-Encoding: gzip</c>.</summary>
internal static class BoshRequestReader
{
    /// <summary>The body bytes, or null when it exceeds <paramref name="limit"/> (counted after decompression).</summary>
    public static async Task<byte[]?> ReadAsync(HttpRequest request, int limit, CancellationToken cancellationToken)
    {
        if (request.ContentLength > limit && !IsGzip(request))
        {
            return null;
        }
        if (IsGzip(request))
        {
            await using var gzip = new GZipStream(request.Body, CompressionMode.Decompress, leaveOpen: true);
            return await ReadLimitedAsync(PipeReader.Create(gzip), limit, cancellationToken);
        }
        return await ReadLimitedAsync(request.BodyReader, limit, cancellationToken);
    }

    /// <summary>Puts a body already read (and gunzipped) back on the request, for whoever handles it next.</summary>
    public static void PutBack(HttpRequest request, byte[] body)
    {
        request.Body = new MemoryStream(body, writable: false);
        request.ContentLength = body.Length;
        request.Headers.Remove(HeaderNames.ContentEncoding);
    }

    private static bool IsGzip(HttpRequest request) =>
        string.Equals(request.Headers.ContentEncoding.ToString(), "gzip", StringComparison.OrdinalIgnoreCase);

    private static async Task<byte[]?> ReadLimitedAsync(PipeReader reader, int limit, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.Length > limit)
            {
                reader.AdvanceTo(buffer.Start, buffer.End);
                return null;
            }
            if (result.IsCompleted)
            {
                var bytes = buffer.ToArray();
                reader.AdvanceTo(buffer.End);
                return bytes;
            }
            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }
}
