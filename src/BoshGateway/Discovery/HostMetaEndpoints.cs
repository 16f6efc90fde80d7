using System.Text;
using System.Text.Json;
using System.Xml.Linq;
using BoshGateway.Configuration;
using Microsoft.Extensions.Options;

namespace BoshGateway.Discovery;

/// <summary>
/// XEP-0156: <c>/.well-known/host-meta</c> (XRD) and <c>/.well-known/host-meta.json</c> (JRD) with
/// the BOSH and WebSocket URLs, readable cross-origin, so a client given only a domain finds the gateway.
/// </summary>
internal static class HostMetaEndpoints
{
    private const string BoshRel = "urn:xmpp:alt-connections:xbosh";
    private const string WebSocketRel = "urn:xmpp:alt-connections:websocket";
    private static readonly XNamespace Xrd = "http://docs.oasis-open.org/ns/xri/xrd-1.0";

    public static IEndpointRouteBuilder MapHostMeta(this IEndpointRouteBuilder endpoints)
    {
        endpoints.MapGet("/.well-known/host-meta", (HttpContext context, IOptions<GatewayOptions> options) =>
        {
            var (bosh, websocket) = Urls(context.Request, options.Value);
            var xrd = new XElement(Xrd + "XRD",
                new XElement(Xrd + "Link", new XAttribute("rel", BoshRel), new XAttribute("href", bosh)),
                new XElement(Xrd + "Link", new XAttribute("rel", WebSocketRel), new XAttribute("href", websocket)));
            Cors(context);
            return Results.Text("<?xml version='1.0' encoding='utf-8'?>\n" + xrd, "application/xrd+xml", Encoding.UTF8);
        });
        endpoints.MapGet("/.well-known/host-meta.json", (HttpContext context, IOptions<GatewayOptions> options) =>
        {
            var (bosh, websocket) = Urls(context.Request, options.Value);
            var jrd = new { links = new[] { new { rel = BoshRel, href = bosh }, new { rel = WebSocketRel, href = websocket } } };
            Cors(context);
            return Results.Text(JsonSerializer.Serialize(jrd), "application/json", Encoding.UTF8);
        });
        return endpoints;
    }

    /// <summary>The advertised URLs: explicit settings first, then <c>Gateway:PublicBaseUrl</c>, then the request's own scheme and host.</summary>
    internal static (string Bosh, string WebSocket) Urls(HttpRequest request, GatewayOptions options)
    {
        var baseUrl = (options.PublicBaseUrl ?? $"{request.Scheme}://{request.Host}").TrimEnd('/');
        var bosh = options.Discovery.BoshUrl ?? baseUrl + options.Bosh.Path;
        var wsBase = baseUrl.StartsWith("https://", StringComparison.OrdinalIgnoreCase) ? "wss://" + baseUrl[8..]
            : baseUrl.StartsWith("http://", StringComparison.OrdinalIgnoreCase) ? "ws://" + baseUrl[7..] : baseUrl;
        var websocket = options.Discovery.WebSocketUrl ?? wsBase + options.WebSocket.Path;
        return (bosh, websocket);
    }

    private static void Cors(HttpContext context)
    {
        context.Response.Headers.AccessControlAllowOrigin = "*";
        context.Response.Headers.CacheControl = "public, max-age=3600";
    }
}
