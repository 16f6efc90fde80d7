using System.Collections.Concurrent;
using System.Globalization;
using System.Runtime.CompilerServices;
using BoshGateway.Configuration;
using BoshGateway.Protocol.Bosh;

namespace BoshGateway.Backend;

/// <summary>
/// Maps a client's <c>to</c> (and BOSH <c>route</c>) onto a configured backend. The gateway is not an
/// open proxy: only configured hosts are dialled, and a <c>route</c> only when the operator lists that
/// exact host and port in <c>Gateway:Backends:AllowedRoutes</c>; any other <c>route</c> is ignored.
/// </summary>
public static class BackendRoute
{
    /// <summary>
    /// Targets resolved without a route, per options instance and <c>to</c>: the sessions of a domain share one
    /// (with its domain string) instead of each holding its own. Bounded, since with <c>AllowUnlistedDomains</c>
    /// the client chooses <c>to</c>; past the bound a target is resolved for each session as before. Options are
    /// not changed once the host runs (<c>IOptions</c>), so a target resolved once stays right.
    /// </summary>
    private static readonly ConditionalWeakTable<BackendsOptions, ConcurrentDictionary<string, BackendTarget>> Resolved = new();

    private const int MaxSharedTargets = 256;

    /// <summary>Resolves the backend; throws <see cref="BoshProtocolException"/> with host-unknown or improper-addressing.</summary>
    public static BackendTarget Resolve(BackendsOptions options, string? to, string? route)
    {
        if (route is not null || to is null)
        {
            return ResolveOnce(options, to, route);
        }
        var shared = Resolved.GetValue(options, static _ => new ConcurrentDictionary<string, BackendTarget>(StringComparer.Ordinal));
        if (shared.TryGetValue(to, out var known))
        {
            return known;
        }
        var target = ResolveOnce(options, to, null);
        return shared.Count < MaxSharedTargets ? shared.GetOrAdd(to, target) : target;
    }

    private static BackendTarget ResolveOnce(BackendsOptions options, string? to, string? route)
    {
        var domain = NormalizeDomain(to)
            ?? throw new BoshProtocolException(string.IsNullOrEmpty(to) ? BoshConditions.ImproperAddressing : BoshConditions.HostUnknown,
                string.IsNullOrEmpty(to) ? "'to' is required" : "'to' is not a valid domain");

        var defaults = options.Default;
        if (!options.Domains.TryGetValue(domain, out var entry) && OtherIdnForm(domain) is { } other && options.Domains.TryGetValue(other, out entry))
        {
            // An internationalized domain configured in the other form (A-label xn--… or U-label): the server knows it as configured.
            domain = other;
        }
        if (entry is null && !options.AllowUnlistedDomains)
        {
            throw new BoshProtocolException(BoshConditions.HostUnknown, "this gateway does not serve that domain");
        }
        var host = entry?.Host ?? defaults.Host;
        var port = entry?.Port ?? defaults.Port;
        var srv = entry?.Srv ?? defaults.Srv;
        DestinationAddress[] destinations = entry is { Destinations.Count: > 0 } ? Addresses(entry.Destinations)
            : entry?.Host is null && entry?.Port is null && defaults.Destinations.Count > 0 ? Addresses(defaults.Destinations)
            : [new(host, port, 1)];
        if (route is not null)
        {
            if (!TryParseRoute(route, out var routeHost, out var routePort))
            {
                throw new BoshProtocolException(BoshConditions.ImproperAddressing, "'route' must be proto:host:port");
            }
            if (IsAllowed(options, routeHost, routePort))
            {
                host = routeHost;
                port = routePort;
                destinations = [new(host, port, 1)];
                srv = false;
            }
        }
        host = destinations[0].Host;
        port = destinations[0].Port;
        return new BackendTarget(
            domain,
            host,
            port,
            entry?.Tls ?? defaults.Tls,
            entry?.TlsServerName ?? defaults.TlsServerName ?? domain,
            entry?.AllowUntrustedCertificate ?? defaults.AllowUntrustedCertificate,
            [.. defaults.TrustedCertificateThumbprints],
            defaults.ConnectTimeout,
            entry?.TrustedCa ?? defaults.TrustedCa)
        {
            Destinations = destinations,
            Srv = srv,
            ProxyProtocol = entry?.ProxyProtocol ?? defaults.ProxyProtocol,
        };
    }

    private static DestinationAddress[] Addresses(IList<BackendDestinationOptions> destinations) =>
        [.. destinations.Select(d => new DestinationAddress(d.Host, d.Port, d.Weight))];

    /// <summary>Lower-cases and checks a domain part (RFC 7622); null when invalid.</summary>
    public static string? NormalizeDomain(string? to)
    {
        if (string.IsNullOrEmpty(to))
        {
            return null;
        }
        var domain = to.TrimEnd('.').ToLowerInvariant();
        if (domain.Length is 0 or > 1023)
        {
            return null;
        }
        foreach (var c in domain)
        {
            var ok = c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-' or '.' || c > 0x7F;
            if (!ok || char.IsWhiteSpace(c) || char.IsControl(c))
            {
                return null;
            }
        }
        return domain.Contains("..", StringComparison.Ordinal) || domain[0] == '.' ? null : domain;
    }

    /// <summary>The U-label form of a domain with A-labels, or the A-label form of one with non-ASCII characters; else null.</summary>
    private static string? OtherIdnForm(string domain)
    {
        var ascii = domain.All(char.IsAscii);
        if (ascii && !domain.Contains("xn--", StringComparison.Ordinal))
        {
            return null;
        }
        try
        {
            var idn = new IdnMapping();
            return ascii ? idn.GetUnicode(domain) : idn.GetAscii(domain);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Parses <c>host:port</c> (IPv6 in brackets).</summary>
    public static bool TryParseHostPort(string text, out string host, out int port)
    {
        host = string.Empty;
        port = 0;
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is <= 0 or > 65535)
        {
            return false;
        }
        host = text[..colon].Trim('[', ']').ToLowerInvariant();
        return host.Length > 0;
    }

    private static bool TryParseRoute(string route, out string host, out int port)
    {
        // XEP-0124 §7.1: proto:host:port, e.g. xmpp:example.com:5222.
        var firstColon = route.IndexOf(':', StringComparison.Ordinal);
        host = string.Empty;
        port = 0;
        return firstColon > 0 && TryParseHostPort(route[(firstColon + 1)..], out host, out port);
    }

    private static bool IsAllowed(BackendsOptions options, string host, int port)
    {
        foreach (var allowed in options.AllowedRoutes)
        {
            if (TryParseHostPort(allowed, out var h, out var p) && p == port && h == host)
            {
                return true;
            }
        }
        return false;
    }
}
