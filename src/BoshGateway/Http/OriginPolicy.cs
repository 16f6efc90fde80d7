using BoshGateway.Configuration;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;

namespace BoshGateway.Http;

/// <summary>
/// Who may call the gateway from a browser: same-origin pages always, other origins only when listed in
/// <c>Gateway:AllowedOrigins</c> (<c>*</c> only when set explicitly). Requests without an Origin header
/// (non-browser clients) are allowed: Origin protects browsers' users, it does not authenticate.
/// </summary>
public sealed class OriginPolicy(IOptions<GatewayOptions> options)
{
    private readonly HashSet<string> _allowed = new(options.Value.AllowedOrigins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// Decides for a request and, when it is allowed cross-origin, writes <c>Access-Control-Allow-Origin</c>
    /// and adds <c>Origin</c> to <c>Vary</c> on the response (the one place the BOSH answers get their CORS headers).
    /// </summary>
    public bool Admit(HttpContext context)
    {
        if (!IsAllowed(context.Request, out var corsOrigin))
        {
            return false;
        }
        if (corsOrigin is not null)
        {
            context.Response.Headers.AccessControlAllowOrigin = corsOrigin;
            context.Response.Headers.Append(HeaderNames.Vary, HeaderNames.Origin);
        }
        return true;
    }

    /// <summary>Decides for a request; <paramref name="corsOrigin"/> is the value for Access-Control-Allow-Origin, if any.</summary>
    public bool IsAllowed(HttpRequest request, out string? corsOrigin)
    {
        corsOrigin = null;
        var origin = request.Headers.Origin;
        if (StringValues.IsNullOrEmpty(origin))
        {
            return true;
        }
        var value = origin.ToString();
        if (_allowed.Contains(value))
        {
            corsOrigin = value;
            return true;
        }
        if (IsSameOrigin(value, request))
        {
            return true;
        }
        if (_allowed.Contains("*"))
        {
            corsOrigin = "*";
            return true;
        }
        return false;
    }

    private static bool IsSameOrigin(string origin, HttpRequest request) =>
        Uri.TryCreate(origin, UriKind.Absolute, out var uri)
        && string.Equals(uri.Authority, request.Host.Value, StringComparison.OrdinalIgnoreCase);
}
