using BoshGateway.Telemetry;
using System.Net;
using System.Text;
using System.Text.Json;
using BoshGateway.Configuration;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace BoshGateway.DemoPage;

/// <summary>
/// The demo chat page (<c>Gateway:DemoPage:Enabled</c>): <c>GET /</c> is Converse.js, set up for this
/// gateway's own endpoints (same origin, so no CORS or allowed origins are needed), and
/// <c>/demo/converse/...</c> serves Converse.js's files from <c>Gateway:DemoPage:AssetsPath</c>.
/// Nothing is loaded from elsewhere. <c>/?transport=bosh</c> or <c>/?transport=websocket</c> picks one
/// transport; by default Converse.js is given both and takes WebSocket.
/// </summary>
internal static partial class DemoPageEndpoints
{
    public const string AssetsRequestPath = "/demo/converse";

    public static IEndpointRouteBuilder MapDemoPage(this IEndpointRouteBuilder endpoints, GatewayOptions options)
    {
        var demo = options.DemoPage;
        var assets = Path.GetFullPath(demo.AssetsPath, AppContext.BaseDirectory);
        var logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DemoPageEndpoints).FullName!);
        var present = File.Exists(Path.Combine(assets, "converse.min.js"));
        if (present)
        {
            var files = new PhysicalFileProvider(assets);
            var types = new FileExtensionContentTypeProvider();
            endpoints.MapMethods(AssetsRequestPath + "/{**file}", [HttpMethods.Get, HttpMethods.Head], (HttpContext context, string file) =>
            {
                // The provider refuses paths that leave its folder.
                var info = files.GetFileInfo(file);
                if (!info.Exists || info.IsDirectory || info.PhysicalPath is null)
                {
                    return Results.NotFound();
                }
                context.Response.Headers.CacheControl = "public, max-age=3600";
                return Results.File(info.PhysicalPath, types.TryGetContentType(file, out var type) ? type : "application/octet-stream", lastModified: info.LastModified);
            });
            Log.Serving(logger, assets);
        }
        else
        {
            Log.AssetsMissing(logger, assets);
        }
        var html = present ? Page(options) : MissingPage(assets);
        endpoints.MapGet("/", () => Results.Text(html, "text/html; charset=utf-8", Encoding.UTF8));
        return endpoints;
    }

    private static string Page(GatewayOptions options)
    {
        var demo = options.DemoPage;
        // Only values from the configuration go into the page, JSON-encoded into a data block.
        var settings = JsonSerializer.Serialize(new
        {
            boshPath = options.Bosh.Path,
            webSocketPath = options.WebSocket.Path,
            domain = demo.Domain,
        });
        var notice = string.IsNullOrWhiteSpace(demo.Notice) ? "" : $"<p id=\"demo-notice\">{WebUtility.HtmlEncode(demo.Notice)}</p>";
        return $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>BoshGateway demo chat</title>
            <link rel="stylesheet" href="{{AssetsRequestPath}}/converse.min.css">
            <link rel="icon" href="{{AssetsRequestPath}}/images/favicon.ico">
            <style>
              #demo-notice { position: fixed; bottom: 0; left: 0; right: 0; margin: 0; padding: .5em 1em; z-index: 2147483000;
                             font: 15px system-ui, sans-serif; text-align: center; background: #fff8d8; color: #222; border-top: 1px solid #e4d89a; }
              /* Only on the login screen: once the contact list shows, the message box needs the space. */
              body:has(converse-roster) #demo-notice { display: none; }
            </style>
            </head>
            <body class="converse-fullscreen">
            {{notice}}
            <script type="application/json" id="demo-settings">{{settings.Replace("</", "<\\/", StringComparison.Ordinal)}}</script>
            <script type="module">
            // Converse.js from this gateway's own files. Its login footer links sponsor logos on
            // conversejs.org: an empty element takes its place (Converse.js keeps an existing element).
            customElements.define('converse-footer', class extends HTMLElement {});
            await import('{{AssetsRequestPath}}/converse.min.js');
            const demo = JSON.parse(document.getElementById('demo-settings').textContent);
            const transport = new URLSearchParams(location.search).get('transport');
            const ws = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + demo.webSocketPath;
            const bosh = location.origin + demo.boshPath;
            window.converse.initialize({
                assets_path: '{{AssetsRequestPath}}/',
                view_mode: 'fullscreen',
                i18n: 'en',
                websocket_url: transport === 'bosh' ? undefined : ws,
                bosh_service_url: transport === 'websocket' ? undefined : bosh,
                default_domain: demo.domain || undefined,
                discover_connection_methods: false,
                allow_registration: false,
                auto_reconnect: true,
                enable_smacks: true,
                play_sounds: false,
            });
            </script>
            </body>
            </html>
            """;
    }

    private static string MissingPage(string assets) => $"""
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8"><title>BoshGateway demo chat</title></head>
        <body><h1>BoshGateway demo chat</h1>
        <p>The demo page is on, but Converse.js is not where the gateway looks for it: <code>{WebUtility.HtmlEncode(assets)}</code>.</p>
        <p>Run <code>npm ci --prefix src/BoshGateway/DemoPage</code> and build the gateway again (the build copies the files),
        or point <code>Gateway:DemoPage:AssetsPath</code> at Converse.js's <code>dist</code> folder.</p>
        </body></html>
        """;

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.DemoPageServing, EventName = nameof(EventIds.DemoPageServing), Level = LogLevel.Information, Message = "Demo page at / with Converse.js from {Folder}")]
        public static partial void Serving(ILogger logger, string folder);

        [LoggerMessage(EventId = EventIds.DemoPageAssetsMissing, EventName = nameof(EventIds.DemoPageAssetsMissing), Level = LogLevel.Warning, Message = "Demo page is enabled but Converse.js is missing from {Folder}: run npm ci --prefix src/BoshGateway/DemoPage and build again")]
        public static partial void AssetsMissing(ILogger logger, string folder);
    }
}
