using System.IO.Compression;
using Microsoft.Net.Http.Headers;

namespace BoshGateway.Bosh;

/// <summary>Writes a BOSH answer: fixed content type, no caching, no proxy buffering, Content-Length, gzip when it pays.</summary>
internal static class BoshResponseSender
{
    /// <summary>
    /// An answer up to this size fits in Kestrel's response buffer (<c>MaxResponseBufferSize</c>, 64 KiB), so its write
    /// completes whether the client reads or not; a larger one is written in pieces of this size, each of which must be
    /// taken within the send timeout.
    /// </summary>
    private const int PieceBytes = 64 * 1024;

    /// <summary>
    /// Writes the answer. A client that takes none of a piece of a large answer for <paramref name="sendTimeout"/> gets its
    /// connection closed (like nginx's <c>send_timeout</c>), which frees the connection and the answer: Kestrel's minimum
    /// response rate alone would give a 1 MiB write more than an hour. Returns false when that happened.
    /// </summary>
    public static async Task<bool> SendAsync(HttpContext context, byte[] body, int compressFrom, TimeSpan sendTimeout)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/xml; charset=utf-8";
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        response.Headers.XContentTypeOptions = "nosniff";
        if (compressFrom > 0 && body.Length >= compressFrom && AcceptsGzip(context.Request))
        {
            body = Gzip(body);
            response.Headers.ContentEncoding = "gzip";
            // Added to, not replacing, the Vary: Origin a cross-origin answer already carries.
            response.Headers.Append(HeaderNames.Vary, HeaderNames.AcceptEncoding);
        }
        response.ContentLength = body.Length;
        try
        {
            if (body.Length <= PieceBytes)
            {
                await response.Body.WriteAsync(body, context.RequestAborted);
                return true;
            }
            return await SendInPiecesAsync(context, body, sendTimeout);
        }
        catch (OperationCanceledException)
        {
            // The client went away; a repeated rid will get the same answer from the response buffer.
            return true;
        }
    }

    private static async Task<bool> SendInPiecesAsync(HttpContext context, byte[] body, TimeSpan sendTimeout)
    {
        // The timer has a source of its own: Kestrel aborts the request when a write is cancelled, so whether
        // RequestAborted is set afterwards says nothing about which of the two fired.
        using var stalled = new CancellationTokenSource();
        using var either = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stalled.Token);
        try
        {
            for (var offset = 0; offset < body.Length; offset += PieceBytes)
            {
                stalled.CancelAfter(sendTimeout);
                await context.Response.Body.WriteAsync(body.AsMemory(offset, Math.Min(PieceBytes, body.Length - offset)), either.Token);
            }
            return true;
        }
        catch (OperationCanceledException) when (stalled.IsCancellationRequested)
        {
            // The client stopped reading: the session keeps the answer for a repeated rid, as after any broken connection.
            context.Abort();
            return false;
        }
    }

    private static bool AcceptsGzip(HttpRequest request)
    {
        foreach (var value in request.Headers.AcceptEncoding)
        {
            if (value is not null && value.Contains("gzip", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    private static byte[] Gzip(byte[] body)
    {
        using var output = new MemoryStream(body.Length / 2 + 64);
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        {
            gzip.Write(body);
        }
        return output.ToArray();
    }
}
