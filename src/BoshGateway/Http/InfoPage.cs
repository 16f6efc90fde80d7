using System.Net;
using System.Text;

namespace BoshGateway.Http;

/// <summary>A small HTML page for people who open an endpoint in a browser.</summary>
internal static class InfoPage
{
    public static async Task WriteAsync(HttpContext context, string title, string htmlParagraph)
    {
        var html = $"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{WebUtility.HtmlEncode(title)}</title></head>" +
                   $"<body><h1>{WebUtility.HtmlEncode(title)}</h1><p>{htmlParagraph}</p><p>BoshGateway</p></body></html>";
        var bytes = Encoding.UTF8.GetBytes(html);
        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "text/html; charset=utf-8";
        context.Response.Headers.CacheControl = "no-store";
        context.Response.ContentLength = bytes.Length;
        if (!HttpMethods.IsHead(context.Request.Method))
        {
            await context.Response.Body.WriteAsync(bytes, context.RequestAborted);
        }
    }
}
