using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace BoshGateway.Http;

/// <summary>
/// <c>Gateway:TrustedProxies</c>: the reverse proxies whose <c>X-Forwarded-For</c> and <c>-Proto</c> the gateway
/// believes. The client address they yield keys every per-address limit, so the list replaces ASP.NET Core's
/// default (all of loopback) rather than adding to it.
/// </summary>
public static partial class TrustedProxies
{
    private static int _warned;

    /// <summary>Parses one entry: an address (<c>127.0.0.2</c>) or a CIDR network (<c>10.0.0.0/8</c>).</summary>
    public static bool TryParse(string entry, out IPNetwork network)
    {
        if (IPAddress.TryParse(entry, out var address))
        {
            network = new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128);
            return true;
        }
        return IPNetwork.TryParse(entry, out network);
    }

    /// <summary>Believes X-Forwarded-For/-Proto from the listed proxies only (one hop: the address the proxy saw).</summary>
    public static void Apply(ForwardedHeadersOptions options, IEnumerable<string> entries)
    {
        options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
        options.KnownProxies.Clear();
        options.KnownIPNetworks.Clear();
        foreach (var entry in entries)
        {
            if (TryParse(entry, out var network))
            {
                options.KnownIPNetworks.Add(network);
            }
        }
        if (options.KnownIPNetworks.Count == 0)
        {
            // With both of its lists empty the middleware believes every peer: none configured must mean nobody.
            options.ForwardedHeaders = ForwardedHeaders.None;
        }
    }

    /// <summary>
    /// Runs after the forwarded-headers middleware: an X-Forwarded-For still there came from a peer not in the
    /// list. Said once per process, as a warning, since it usually means a proxy the configuration forgot
    /// (then every client counts as that proxy against the per-address limits).
    /// </summary>
    public static IApplicationBuilder WarnOnUntrustedForwarding(this IApplicationBuilder app)
    {
        var logger = app.ApplicationServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(TrustedProxies).FullName!);
        return app.Use((context, next) =>
        {
            if (Volatile.Read(ref _warned) == 0 && context.Request.Headers.ContainsKey("X-Forwarded-For") && !context.Request.Headers.ContainsKey("X-Original-For") && Interlocked.Exchange(ref _warned, 1) == 0)
            {
                Log.Untrusted(logger, context.Connection.RemoteIpAddress);
            }
            return next(context);
        });
    }

    private static partial class Log
    {
        [LoggerMessage(EventId = Telemetry.EventIds.UntrustedForwardedFor, EventName = nameof(Telemetry.EventIds.UntrustedForwardedFor), Level = LogLevel.Warning,
            Message = "X-Forwarded-For from {Peer} ignored (said once): if that is your reverse proxy, add it to Gateway:TrustedProxies, or every client counts as it against the per-address limits")]
        public static partial void Untrusted(ILogger logger, IPAddress? peer);
    }
}
