using System.IO.Compression;
using Microsoft.Net.Http.Headers;

namespace BoshGateway.Bosh;

/// <summary>Writes a BOSH answer: fixed content type, no caching, no proxy buffering, Content-Length, gzip when it pays.</summary>
internal static class BoshResponseSender
{
    public static async Task SendAsync(HttpContext context, byte[] body, int compressFrom)
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
            await response.Body.WriteAsync(body, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            // The client went away; a repeated rid will get the same answer from the response buffer.
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
