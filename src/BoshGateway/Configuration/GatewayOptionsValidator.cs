using BoshGateway.Backend;
using Microsoft.Extensions.Options;

namespace BoshGateway.Configuration;

/// <summary>Checks the configuration at start-up so that a bad value stops the process with a clear message.</summary>
internal sealed class GatewayOptionsValidator : IValidateOptions<GatewayOptions>
{
    public ValidateOptionsResult Validate(string? name, GatewayOptions options)
    {
        var errors = new List<string>();
        var bosh = options.Bosh;
        Require(errors, bosh.Path.StartsWith('/'), "Gateway:Bosh:Path must start with '/'.");
        Require(errors, options.WebSocket.Path.StartsWith('/'), "Gateway:WebSocket:Path must start with '/'.");
        Require(errors, bosh.MaxWait >= TimeSpan.FromSeconds(1) && bosh.MaxWait <= TimeSpan.FromMinutes(10), "Gateway:Bosh:MaxWait must be between 1 s and 10 min.");
        Require(errors, bosh.Inactivity >= TimeSpan.FromSeconds(5), "Gateway:Bosh:Inactivity must be at least 5 s.");
        Require(errors, bosh.Polling >= TimeSpan.Zero && bosh.Polling < bosh.Inactivity, "Gateway:Bosh:Polling must not be negative and must be shorter than Gateway:Bosh:Inactivity.");
        Require(errors, bosh.MaxPause >= TimeSpan.Zero, "Gateway:Bosh:MaxPause must not be negative.");
        Require(errors, bosh.MaxHold is >= 1 and <= 16, "Gateway:Bosh:MaxHold must be between 1 and 16.");
        Require(errors, bosh.MaxBodyBytes >= 1024, "Gateway:Bosh:MaxBodyBytes must be at least 1024.");
        Require(errors, bosh.MaxQueuedBytes > 0, "Gateway:Bosh:MaxQueuedBytes must be positive.");
        Require(errors, bosh.SendTimeout >= TimeSpan.FromSeconds(1) && bosh.SendTimeout <= TimeSpan.FromMinutes(10), "Gateway:Bosh:SendTimeout must be between 1 s and 10 min.");
        Require(errors, bosh.TimerResolution >= TimeSpan.FromMilliseconds(10) && bosh.TimerResolution <= TimeSpan.FromSeconds(5), "Gateway:Bosh:TimerResolution must be between 10 ms and 5 s.");
        Require(errors, bosh.AnswerSpacing >= TimeSpan.Zero && bosh.AnswerSpacing <= TimeSpan.FromSeconds(1), "Gateway:Bosh:AnswerSpacing must be between 0 and 1 s.");
        Require(errors, bosh.SessionStartTimeout > TimeSpan.Zero, "Gateway:Bosh:SessionStartTimeout must be positive.");
        Require(errors, bosh.PreAuthTimeout > TimeSpan.Zero, "Gateway:Bosh:PreAuthTimeout must be positive.");
        Require(errors, options.PreAuth.MaxElementBytes >= 512 && options.PreAuth.MaxElementBytes <= options.Limits.MaxElementBytes, "Gateway:PreAuth:MaxElementBytes must be between 512 and Gateway:Limits:MaxElementBytes.");
        Require(errors, options.PreAuth.MaxElements >= 4, "Gateway:PreAuth:MaxElements must be at least 4.");
        Require(errors, options.Limits.MaxElementBytes >= 1024 && options.Limits.MaxElementBytes <= bosh.MaxBodyBytes, "Gateway:Limits:MaxElementBytes must be between 1024 and Gateway:Bosh:MaxBodyBytes.");
        Require(errors, options.Limits.MaxDepth is >= 4 and <= 1024, "Gateway:Limits:MaxDepth must be between 4 and 1024.");
        Require(errors, options.Limits.MaxAttributes is >= 8 and <= 1024, "Gateway:Limits:MaxAttributes must be between 8 and 1024.");
        ValidateBackend(errors, "Gateway:Backends:Default", options.Backends.Default.Host, options.Backends.Default.Port);
        Require(errors, options.Backends.Default.ConnectTimeout > TimeSpan.Zero, "Gateway:Backends:Default:ConnectTimeout must be positive.");
        foreach (var (domain, entry) in options.Backends.Domains)
        {
            ValidateBackend(errors, $"Gateway:Backends:Domains:{domain}", entry.Host ?? options.Backends.Default.Host, entry.Port ?? options.Backends.Default.Port);
            ValidateDestinations(errors, $"Gateway:Backends:Domains:{domain}:Destinations", entry.Destinations);
        }
        ValidateDestinations(errors, "Gateway:Backends:Default:Destinations", options.Backends.Default.Destinations);
        var pool = options.Backends.Pool;
        Require(errors, pool.Size is >= 0 and <= 1000, "Gateway:Backends:Pool:Size must be between 0 and 1000.");
        Require(errors, pool.MaxIdle >= TimeSpan.FromSeconds(1), "Gateway:Backends:Pool:MaxIdle must be at least 1 s.");
        Require(errors, pool.MaxDomains >= 1, "Gateway:Backends:Pool:MaxDomains must be at least 1.");
        Require(errors, BackendConnection.IsLanguageTag(pool.Language), "Gateway:Backends:Pool:Language must be a language tag such as 'en'.");
        try
        {
            SrvLookup.ParseServers(options.Backends.DnsServers);
        }
        catch (FormatException ex)
        {
            errors.Add("Gateway:Backends:DnsServers: " + ex.Message);
        }
        Require(errors, options.Backends.MaxConnectsInFlight >= 1, "Gateway:Backends:MaxConnectsInFlight must be at least 1.");
        Require(errors, options.Backends.ConnectQueueTimeout > TimeSpan.Zero, "Gateway:Backends:ConnectQueueTimeout must be positive.");
        Require(errors, options.Backends.RetryBackoff > TimeSpan.Zero && options.Backends.MaxRetryBackoff >= options.Backends.RetryBackoff, "Gateway:Backends:RetryBackoff must be positive and at most Gateway:Backends:MaxRetryBackoff.");
        Require(errors, options.Backends.KeepAliveInterval >= TimeSpan.FromMilliseconds(10), "Gateway:Backends:KeepAliveInterval must be at least 10 ms.");
        Require(errors, options.Backends.PingInterval >= TimeSpan.FromMilliseconds(100), "Gateway:Backends:PingInterval must be at least 100 ms.");
        Require(errors, options.Backends.PingTimeout >= TimeSpan.FromMilliseconds(100), "Gateway:Backends:PingTimeout must be at least 100 ms.");
        Require(errors, options.Telemetry.PrometheusPath.StartsWith('/'), "Gateway:Telemetry:PrometheusPath must start with '/'.");
        Require(errors, options.Backends.MaxQueuedBytes >= 1024, "Gateway:Backends:MaxQueuedBytes must be at least 1024.");
        Require(errors, options.Backends.QueueFullTimeout > TimeSpan.Zero, "Gateway:Backends:QueueFullTimeout must be positive.");
        foreach (var route in options.Backends.AllowedRoutes)
        {
            Require(errors, BackendRoute.TryParseHostPort(route, out _, out _), $"Gateway:Backends:AllowedRoutes entry '{route}' must be host:port.");
        }
        foreach (var origin in options.AllowedOrigins)
        {
            Require(errors, origin == "*" || Uri.TryCreate(origin, UriKind.Absolute, out _), $"Gateway:AllowedOrigins entry '{origin}' must be '*' or scheme://host[:port].");
        }
        var ws = options.WebSocket;
        Require(errors, ws.KeepAliveInterval > TimeSpan.Zero && ws.KeepAliveInterval < TimeSpan.FromMinutes(10), "Gateway:WebSocket:KeepAliveInterval must be between 0 and 10 min.");
        Require(errors, ws.KeepAliveTimeout >= ws.KeepAliveInterval, "Gateway:WebSocket:KeepAliveTimeout must not be shorter than Gateway:WebSocket:KeepAliveInterval.");
        Require(errors, ws.MaxMessageBytes >= options.Limits.MaxElementBytes, "Gateway:WebSocket:MaxMessageBytes must be at least Gateway:Limits:MaxElementBytes.");
        Require(errors, ws.MaxQueuedBytes >= options.Limits.MaxElementBytes, "Gateway:WebSocket:MaxQueuedBytes must be at least Gateway:Limits:MaxElementBytes.");
        Require(errors, ws.MaxFragments is >= 1 and <= 1024, "Gateway:WebSocket:MaxFragments must be between 1 and 1024.");
        Require(errors, ws.PreAuthTimeout > TimeSpan.Zero, "Gateway:WebSocket:PreAuthTimeout must be positive.");
        foreach (var (key, url) in new[] { ("Gateway:PublicBaseUrl", options.PublicBaseUrl), ("Gateway:Discovery:BoshUrl", options.Discovery.BoshUrl), ("Gateway:Discovery:WebSocketUrl", options.Discovery.WebSocketUrl) })
        {
            Require(errors, url is null || Uri.TryCreate(url, UriKind.Absolute, out _), $"{key} must be an absolute URL.");
        }
        // An upper bound as well: a bare "5" binds as five days.
        Require(errors, options.ShutdownGrace >= TimeSpan.Zero && options.ShutdownGrace <= TimeSpan.FromMinutes(5), "Gateway:ShutdownGrace must be between 0 and 5 min.");
        Require(errors, options.MaxSessionsPerClientAddress >= 1, "Gateway:MaxSessionsPerClientAddress must be at least 1.");
        for (var i = 0; i < options.TrustedProxies.Count; i++)
        {
            Require(errors, Http.TrustedProxies.TryParse(options.TrustedProxies[i], out _), $"Gateway:TrustedProxies:{i} '{options.TrustedProxies[i]}' must be an IP address or a CIDR network.");
        }
        ValidateThrottle(errors, options.Throttle);
        ValidatePrebind(errors, options);
        Require(errors, !string.IsNullOrWhiteSpace(options.Node.Id), "Gateway:Node:Id must not be empty.");
        if (options.IsClustered)
        {
            ValidateCluster(errors, options);
        }
        ValidateStatusPage(errors, options);
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void ValidateCluster(List<string> errors, GatewayOptions options)
    {
        var cluster = options.Cluster;
        Require(errors, options.Node.Id.Length <= 40 && options.Node.Id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'),
            "Gateway:Node:Id must be at most 40 letters, digits, '-' or '_' when Gateway:Redis is set (it is part of every session id).");
        Require(errors, cluster.Secret is { Length: >= 32 }, "Gateway:Cluster:Secret must be set (at least 32 characters, the same on every node) when Gateway:Redis is set.");
        Require(errors, options.Node.InternalUrl is null || (Uri.TryCreate(options.Node.InternalUrl, UriKind.Absolute, out var url) && url.Scheme is "http" or "https"),
            "Gateway:Node:InternalUrl must be an absolute http(s) URL.");
        Require(errors, cluster.HeartbeatInterval >= TimeSpan.FromMilliseconds(100) && cluster.HeartbeatInterval * 2 <= cluster.NodeLease,
            "Gateway:Cluster:HeartbeatInterval must be at least 100 ms and at most half of Gateway:Cluster:NodeLease.");
        Require(errors, cluster.ForwardConnectTimeout > TimeSpan.Zero, "Gateway:Cluster:ForwardConnectTimeout must be positive.");
        Require(errors, cluster.RedisTimeout >= TimeSpan.FromMilliseconds(100), "Gateway:Cluster:RedisTimeout must be at least 100 ms.");
        Require(errors, cluster.MaxReplayBytes >= 0, "Gateway:Cluster:MaxReplayBytes must not be negative.");
    }

    private static void ValidatePrebind(List<string> errors, GatewayOptions options)
    {
        var prebind = options.Prebind;
        if (!prebind.Enabled)
        {
            Require(errors, prebind.ServerJwkFile is null, "Gateway:Prebind:ServerJwkFile is set but Gateway:Prebind:Secret is not (prebind stays off without it).");
            return;
        }
        Require(errors, System.Text.Encoding.UTF8.GetByteCount(prebind.Secret!) >= PrebindKeyLoader.MinKeyBytes, $"Gateway:Prebind:Secret must be at least {PrebindKeyLoader.MinKeyBytes} bytes.");
        Require(errors, prebind.ServerJwkFile is not null, "Gateway:Prebind:ServerJwkFile must be set with Gateway:Prebind:Secret (the key the XMPP server checks login tokens with).");
        Require(errors, prebind.Path.StartsWith('/') && !prebind.Path.Equals(options.Bosh.Path, StringComparison.OrdinalIgnoreCase) && !prebind.Path.Equals(options.WebSocket.Path, StringComparison.OrdinalIgnoreCase),
            "Gateway:Prebind:Path must start with '/' and differ from the BOSH and WebSocket paths.");
        Require(errors, prebind.MaxTokenLifetime >= TimeSpan.FromSeconds(10) && prebind.MaxTokenLifetime <= TimeSpan.FromHours(1), "Gateway:Prebind:MaxTokenLifetime must be between 10 s and 1 h.");
        Require(errors, prebind.LoginTimeout >= TimeSpan.FromSeconds(1) && prebind.LoginTimeout <= TimeSpan.FromMinutes(2), "Gateway:Prebind:LoginTimeout must be between 1 s and 2 min.");
    }

    private static void ValidateThrottle(List<string> errors, ThrottleOptions throttle)
    {
        Require(errors, throttle.SessionsPerSecond >= 0, "Gateway:Throttle:SessionsPerSecond must not be negative.");
        Require(errors, throttle.SessionsPerSecond == 0 || throttle.SessionBurst >= throttle.SessionsPerSecond, "Gateway:Throttle:SessionBurst must be at least Gateway:Throttle:SessionsPerSecond.");
        Require(errors, throttle.UnknownSidsPerSecond >= 0, "Gateway:Throttle:UnknownSidsPerSecond must not be negative.");
        Require(errors, throttle.UnknownSidsPerSecond == 0 || throttle.UnknownSidBurst >= throttle.UnknownSidsPerSecond, "Gateway:Throttle:UnknownSidBurst must be at least Gateway:Throttle:UnknownSidsPerSecond.");
        Require(errors, throttle.MaxUnauthenticatedPerAddress >= 1, "Gateway:Throttle:MaxUnauthenticatedPerAddress must be at least 1.");
        Require(errors, throttle.RegistrationsPerHour >= 0, "Gateway:Throttle:RegistrationsPerHour must not be negative.");
        Require(errors, throttle.RegistrationsPerHour == 0 || throttle.RegistrationBurst >= 1, "Gateway:Throttle:RegistrationBurst must be at least 1.");
    }

    private static void ValidateStatusPage(List<string> errors, GatewayOptions options)
    {
        var status = options.Status;
        Require(errors, status.Path.Length > 1 && status.Path.StartsWith('/') && !status.Path.EndsWith('/'), "Gateway:Status:Path must start with '/', not end with '/', and not be '/' alone.");
        Require(errors, status.SampleInterval >= TimeSpan.FromSeconds(1) && status.SampleInterval <= TimeSpan.FromMinutes(1), "Gateway:Status:SampleInterval must be between 1 s and 1 min.");
        Require(errors, status.History >= TimeSpan.FromMinutes(1) && status.History <= TimeSpan.FromHours(24), "Gateway:Status:History must be between 1 min and 24 h.");
        Require(errors, status.SampleInterval <= TimeSpan.Zero || status.History / status.SampleInterval <= 2000, "Gateway:Status:History must hold at most 2000 points of Gateway:Status:SampleInterval.");
        Require(errors, status.BearerToken is null || (status.BearerToken.Length >= 16 && !status.BearerToken.Any(char.IsWhiteSpace)), "Gateway:Status:BearerToken must be at least 16 characters without spaces when set.");
        if (status.Enabled)
        {
            foreach (var (key, path) in new[] { ("Gateway:Bosh:Path", options.Bosh.Path), ("Gateway:WebSocket:Path", options.WebSocket.Path), ("Gateway:Telemetry:PrometheusPath", options.Telemetry.PrometheusPath) })
            {
                Require(errors, !string.Equals(path, status.Path, StringComparison.OrdinalIgnoreCase) && !path.StartsWith(status.Path + "/", StringComparison.OrdinalIgnoreCase),
                    $"Gateway:Status:Path must not be {key} or hold it.");
            }
        }
    }

    private static void ValidateDestinations(List<string> errors, string key, IList<BackendDestinationOptions> destinations)
    {
        for (var i = 0; i < destinations.Count; i++)
        {
            var d = destinations[i];
            ValidateBackend(errors, $"{key}:{i}", d.Host, d.Port);
            Require(errors, d.Weight is >= 1 and <= 1000, $"{key}:{i}:Weight must be between 1 and 1000.");
        }
    }

    private static void ValidateBackend(List<string> errors, string key, string host, int port)
    {
        Require(errors, !string.IsNullOrWhiteSpace(host), $"{key}:Host must not be empty.");
        Require(errors, port is > 0 and <= 65535, $"{key}:Port must be between 1 and 65535.");
    }

    private static void Require(List<string> errors, bool condition, string message)
    {
        if (!condition)
        {
            errors.Add(message);
        }
    }
}
