using System.Text;
using System.Text.Json;
using BoshGateway.Configuration;
using BoshGateway.Telemetry;
using Microsoft.AspNetCore.StaticFiles;
using Microsoft.Extensions.FileProviders;

namespace BoshGateway.StatusPage;

/// <summary>
/// The status page (<c>Gateway:Status</c>): <c>GET {Path}</c> is the page, <c>{Path}/data</c> its
/// data as JSON (<see cref="StatusData"/>), <c>{Path}/page/...</c> the page's own script and styles
/// (built into the binary) and <c>{Path}/uplot/...</c> uPlot from <c>Gateway:Status:AssetsPath</c>.
/// Every one of them answers only who <see cref="StatusAccess"/> lets in; when the page is off none
/// is mapped (404).
/// </summary>
internal static partial class StatusPageEndpoints
{
    private const string ResourcePrefix = "BoshGateway.StatusPage.Page.";
    private const string Csp = "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'";

    public static IEndpointRouteBuilder MapStatusPage(this IEndpointRouteBuilder endpoints, GatewayOptions options)
    {
        var status = options.Status;
        if (!status.Enabled)
        {
            return endpoints;
        }
        var recorder = endpoints.ServiceProvider.GetRequiredService<StatusRecorder>();
        var access = new StatusAccess(status);
        var logger = endpoints.ServiceProvider.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(StatusPageEndpoints).FullName!);
        var assets = Path.GetFullPath(status.AssetsPath, AppContext.BaseDirectory);
        var present = File.Exists(Path.Combine(assets, "uPlot.iife.min.js"));
        if (present)
        {
            Log.Serving(logger, status.Path, assets);
        }
        else
        {
            Log.AssetsMissing(logger, assets);
        }

        var group = endpoints.MapGroup(status.Path);
        group.AddEndpointFilter(access.FilterAsync);
        string[] getOrHead = [HttpMethods.Get, HttpMethods.Head];
        var html = Page(status, present);
        group.MapMethods("", getOrHead, (HttpContext context) =>
        {
            NoStore(context);
            context.Response.Headers.ContentSecurityPolicy = Csp;
            return Results.Text(html, "text/html; charset=utf-8", Encoding.UTF8);
        });
        group.MapMethods("/data", getOrHead, (HttpContext context) =>
        {
            NoStore(context);
            return Results.Json(recorder.Snapshot(), StatusJsonContext.Default.StatusData);
        });
        var script = Resource("status.js");
        var styles = Resource("status.css");
        group.MapMethods("/page/status.js", getOrHead, (HttpContext context) => Cached(context, Results.Text(script, "text/javascript; charset=utf-8", Encoding.UTF8)));
        group.MapMethods("/page/status.css", getOrHead, (HttpContext context) => Cached(context, Results.Text(styles, "text/css; charset=utf-8", Encoding.UTF8)));
        if (present)
        {
            var files = new PhysicalFileProvider(assets);
            var types = new FileExtensionContentTypeProvider();
            group.MapMethods("/uplot/{file}", getOrHead, (HttpContext context, string file) =>
            {
                // The provider refuses paths that leave its folder.
                var info = files.GetFileInfo(file);
                if (!info.Exists || info.IsDirectory || info.PhysicalPath is null)
                {
                    return Results.NotFound();
                }
                return Cached(context, Results.File(info.PhysicalPath, types.TryGetContentType(file, out var type) ? type : "application/octet-stream", lastModified: info.LastModified));
            });
        }
        return endpoints;
    }

    private static void NoStore(HttpContext context)
    {
        context.Response.Headers.CacheControl = "no-store";
        context.Response.Headers.XContentTypeOptions = "nosniff";
    }

    private static IResult Cached(HttpContext context, IResult result)
    {
        context.Response.Headers.CacheControl = "private, max-age=3600";
        context.Response.Headers.XContentTypeOptions = "nosniff";
        return result;
    }

    private static string Page(StatusPageOptions status, bool present)
    {
        // Only values from the configuration go into the page, JSON-encoded into a data block.
        var settings = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["dataUrl"] = status.Path + "/data",
            ["pollMilliseconds"] = (int)Math.Clamp(status.SampleInterval.TotalMilliseconds, 1000, 5000),
            ["chartLibrary"] = present,
        });
        return Resource("status.html")
            .Replace("{{PATH}}", status.Path, StringComparison.Ordinal)
            .Replace("{{SETTINGS}}", settings.Replace("</", "<\\/", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    private static string Resource(string name)
    {
        using var stream = typeof(StatusPageEndpoints).Assembly.GetManifestResourceStream(ResourcePrefix + name)
            ?? throw new InvalidOperationException($"resource {ResourcePrefix + name} is missing from the build");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = EventIds.StatusPageServing, EventName = nameof(EventIds.StatusPageServing), Level = LogLevel.Information, Message = "Status page at {Path} with uPlot from {Folder}")]
        public static partial void Serving(ILogger logger, string path, string folder);

        [LoggerMessage(EventId = EventIds.StatusPageAssetsMissing, EventName = nameof(EventIds.StatusPageAssetsMissing), Level = LogLevel.Warning, Message = "Status page is enabled but uPlot is missing from {Folder}: run npm ci --prefix src/BoshGateway/StatusPage and build again (the data stays available as JSON)")]
        public static partial void AssetsMissing(ILogger logger, string folder);
    }
}
