using System.Net;
using System.Security.Cryptography;
using System.Text;
using BoshGateway.Configuration;

namespace BoshGateway.StatusPage;

/// <summary>
/// Who may see the status page. Without <c>Gateway:Status:BearerToken</c>: loopback clients only (403
/// otherwise; behind nginx on loopback the client address is the forwarded one, so remote clients are
/// refused). With it: any client that sends <c>Authorization: Bearer {token}</c>, loopback too (401
/// otherwise). The token is compared as SHA-256 digests in constant time, so neither its content nor
/// its length shows in response times.
/// </summary>
internal sealed class StatusAccess
{
    private const string Scheme = "Bearer ";

    private readonly byte[]? _tokenDigest;

    public StatusAccess(StatusPageOptions options)
    {
        _tokenDigest = string.IsNullOrEmpty(options.BearerToken) ? null : SHA256.HashData(Encoding.UTF8.GetBytes(options.BearerToken));
    }

    /// <summary>200 when the request may be served, else 401 (no or wrong token) or 403 (not loopback).</summary>
    public int Check(HttpContext context)
    {
        if (_tokenDigest is null)
        {
            return IsLoopback(context.Connection.RemoteIpAddress) ? StatusCodes.Status200OK : StatusCodes.Status403Forbidden;
        }
        var headers = context.Request.Headers.Authorization;
        if (headers.Count != 1 || headers[0] is not { } header || !header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return StatusCodes.Status401Unauthorized;
        }
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header.AsSpan(Scheme.Length).Trim().ToString()));
        return CryptographicOperations.FixedTimeEquals(presented, _tokenDigest) ? StatusCodes.Status200OK : StatusCodes.Status401Unauthorized;
    }

    /// <summary>An endpoint filter that answers 401 or 403 (with nothing else) for requests <see cref="Check"/> refuses.</summary>
    public async ValueTask<object?> FilterAsync(EndpointFilterInvocationContext invocation, EndpointFilterDelegate next)
    {
        var context = invocation.HttpContext;
        var status = Check(context);
        if (status == StatusCodes.Status200OK)
        {
            return await next(invocation);
        }
        if (status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer";
        }
        context.Response.Headers.CacheControl = "no-store";
        return Results.StatusCode(status);
    }

    private static bool IsLoopback(IPAddress? address) =>
        address is not null && IPAddress.IsLoopback(address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address);
}
