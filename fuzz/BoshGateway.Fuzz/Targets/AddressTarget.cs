using System.Text;
using BoshGateway.Backend;
using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Protocol.Bosh;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace BoshGateway.Fuzz.Targets;

/// <summary>
/// <c>address-checks</c>: what a client names and the gateway must not trust (robustness.md §3.2, target 5): the
/// <c>to</c> and BOSH <c>route</c> attributes through <see cref="BackendRoute.Resolve"/>, the domain check
/// <see cref="BackendRoute.NormalizeDomain"/>, and the <c>Origin</c> and <c>Host</c> headers through
/// <see cref="OriginPolicy"/>. Input: byte 0 flags (bit 0 unlisted domains allowed, bit 1 <c>route</c> present,
/// bit 2 <c>Origin</c> present, bit 3 the <c>*</c> origin configured), then <c>to</c>, <c>route</c>, <c>Origin</c>
/// and <c>Host</c> as UTF-8 separated by NUL bytes (byte 1 inside <c>Origin</c> separates several header values).
/// Checked: the gateway is never an open proxy (every destination it would dial is configured or an allowed route;
/// the domain is a configured one unless unlisted domains are allowed); a refusal is <c>host-unknown</c> or
/// <c>improper-addressing</c>; a normalized domain is valid and normalizes to itself; a cross-origin answer names
/// only a configured origin (or <c>*</c> when configured); a browser request is let in only when its origin is
/// configured or its own host.
/// </summary>
public static class AddressTarget
{
    private const string ConfiguredOrigin = "https://chat.example.com";
    private const string OtherConfiguredOrigin = "http://localhost:8080";

    /// <summary>The allowed routes (<see cref="BackendsOptions.AllowedRoutes"/>), as <see cref="DestinationAddress.Key"/> writes them.</summary>
    private static readonly string[] AllowedRoutes = ["10.0.0.9:5269", "::1:5269"];

    private static readonly BackendsOptions Listed = Backends(allowUnlisted: false);
    private static readonly BackendsOptions Unlisted = Backends(allowUnlisted: true);
    private static readonly OriginPolicy ListPolicy = Policy(ConfiguredOrigin, OtherConfiguredOrigin + "/");
    private static readonly OriginPolicy StarPolicy = Policy(ConfiguredOrigin, "*");

    private static readonly HashSet<string> Dialable = new(["127.0.0.1:5222", "xmpp.example.com:5222", "idn.example:5223", "10.0.0.5:5222", "10.0.0.6:5222", .. AllowedRoutes], StringComparer.Ordinal);

    public static void Run(byte[] input)
    {
        if (input.Length == 0)
        {
            return;
        }
        var flags = input[0];
        var fields = Encoding.UTF8.GetString(input, 1, input.Length - 1).Split('\0');
        var to = fields[0];
        var route = (flags & 2) != 0 && fields.Length > 1 ? fields[1] : null;
        var origin = (flags & 4) != 0 && fields.Length > 2 ? fields[2] : null;
        var host = fields.Length > 3 ? fields[3] : "gateway.example:443";

        CheckDomain(to);
        CheckRoute((flags & 1) != 0 ? Unlisted : Listed, to, route);
        CheckOrigin((flags & 8) != 0 ? StarPolicy : ListPolicy, (flags & 8) != 0, origin, host);
    }

    private static void CheckDomain(string to)
    {
        if (BackendRoute.NormalizeDomain(to) is not { } domain)
        {
            return;
        }
        if (domain.Length is 0 or > 1023 || domain[0] == '.' || domain[^1] == '.' || domain.Contains("..", StringComparison.Ordinal)
            || domain.Any(c => char.IsWhiteSpace(c) || char.IsControl(c) || char.IsAsciiLetterUpper(c) || c is '/' or ':' or '@' or '[' or ']'))
        {
            throw new FuzzFindingException($"'{to}' normalized to an invalid domain '{domain}'");
        }
        if (BackendRoute.NormalizeDomain(domain) != domain)
        {
            throw new FuzzFindingException($"normalizing '{domain}' again changed it");
        }
    }

    private static void CheckRoute(BackendsOptions options, string to, string? route)
    {
        BackendTarget target;
        try
        {
            target = BackendRoute.Resolve(options, to, route);
        }
        catch (BoshProtocolException ex) when (ex.Condition is BoshConditions.HostUnknown or BoshConditions.ImproperAddressing)
        {
            return;
        }
        catch (BoshProtocolException ex)
        {
            throw new FuzzFindingException($"to '{to}' route '{route}' refused with {ex.Condition}, not host-unknown or improper-addressing", ex);
        }
        if (!options.AllowUnlistedDomains && !options.Domains.ContainsKey(target.Domain))
        {
            throw new FuzzFindingException($"to '{to}' resolved to the unlisted domain '{target.Domain}'");
        }
        foreach (var destination in target.Destinations.Append(new DestinationAddress(target.Host, target.Port, 1)))
        {
            if (!Dialable.Contains(destination.Key))
            {
                throw new FuzzFindingException($"to '{to}' route '{route}' would dial {destination.Key}, which is not configured");
            }
        }
        var routeTaken = target.Destinations.Count == 1 && AllowedRoutes.Contains(target.Destinations[0].Key);
        if (routeTaken && (route is null || target.Srv))
        {
            throw new FuzzFindingException($"to '{to}' route '{route}' dials an allowed route {(route is null ? "no route named" : "with DNS SRV still on")}");
        }
        if (target.Srv && !options.Domains.ContainsKey(target.Domain))
        {
            throw new FuzzFindingException($"to '{to}' would look the client's own domain '{target.Domain}' up in DNS");
        }
    }

    private static void CheckOrigin(OriginPolicy policy, bool star, string? origin, string host)
    {
        var context = new DefaultHttpContext();
        // As Kestrel does: the header as received (the Host property's setter would encode it).
        context.Request.Headers.Host = host;
        if (origin is not null)
        {
            context.Request.Headers.Origin = new StringValues(origin.Split('\u0001'));
        }
        var admitted = policy.IsAllowed(context.Request, out var corsOrigin);
        var sent = context.Request.Headers.Origin;
        if (StringValues.IsNullOrEmpty(sent))
        {
            if (!admitted || corsOrigin is not null)
            {
                throw new FuzzFindingException($"a request without Origin was {(admitted ? "answered cross-origin" : "refused")}");
            }
            return;
        }
        var value = sent.ToString();
        if (corsOrigin is not null && corsOrigin != "*" && !IsConfigured(corsOrigin))
        {
            throw new FuzzFindingException($"Origin '{value}' got Access-Control-Allow-Origin '{corsOrigin}', which is not configured");
        }
        if (corsOrigin == "*" && !star)
        {
            throw new FuzzFindingException($"Origin '{value}' got '*' without '*' configured");
        }
        if (admitted && corsOrigin is null && !(Uri.TryCreate(value, UriKind.Absolute, out var uri) && string.Equals(uri.Authority, context.Request.Host.Value, StringComparison.OrdinalIgnoreCase)))
        {
            throw new FuzzFindingException($"Origin '{value}' was let in as same-origin with Host '{context.Request.Host.Value}'");
        }
        if (!admitted && (star || IsConfigured(value)))
        {
            throw new FuzzFindingException($"configured Origin '{value}' was refused");
        }
    }

    private static bool IsConfigured(string origin) =>
        string.Equals(origin, ConfiguredOrigin, StringComparison.OrdinalIgnoreCase) || string.Equals(origin, OtherConfiguredOrigin, StringComparison.OrdinalIgnoreCase);

    private static BackendsOptions Backends(bool allowUnlisted)
    {
        var options = new BackendsOptions { AllowUnlistedDomains = allowUnlisted };
        options.Domains["example.com"] = new BackendOverride { Host = "xmpp.example.com" };
        options.Domains["bücher.example"] = new BackendOverride { Host = "idn.example", Port = 5223 };
        var cluster = new BackendOverride { Srv = true };
        cluster.Destinations.Add(new BackendDestinationOptions { Host = "10.0.0.5", Port = 5222 });
        cluster.Destinations.Add(new BackendDestinationOptions { Host = "10.0.0.6", Port = 5222 });
        options.Domains["cluster.example"] = cluster;
        options.AllowedRoutes.Add("10.0.0.9:5269");
        options.AllowedRoutes.Add("[::1]:5269");   // its key, in the AllowedRoutes field above, has no brackets
        return options;
    }

    private static OriginPolicy Policy(params string[] origins)
    {
        var options = new GatewayOptions();
        foreach (var origin in origins)
        {
            options.AllowedOrigins.Add(origin);
        }
        return new OriginPolicy(Options.Create(options));
    }
}
