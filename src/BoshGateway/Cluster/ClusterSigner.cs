using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace BoshGateway.Cluster;

/// <summary>
/// What nodes sign with the shared <c>Gateway:Cluster:Secret</c>: the owner node carried inside each
/// session id (so any node finds the owner without Redis, and nobody can point a sid at a node of
/// their choosing), and each request one node forwards to another (so no outsider can pass a
/// request off as forwarded).
/// </summary>
public sealed class ClusterSigner
{
    /// <summary>Marks a request forwarded by another node: <c>node;unix-ms;scheme;mac</c> (before the scheme was signed: <c>node;unix-ms;mac</c>).</summary>
    public const string ForwardedHeader = "X-BoshGateway-Forwarded";

    /// <summary>On an owner's answer to a forwarded request: close the client's connection instead of answering (XEP-0124 §19.1).</summary>
    public const string CloseClientHeader = "X-BoshGateway-Close-Client";

    private const int SidMacBytes = 8;
    private const int ForwardMacBytes = 16;
    private static readonly TimeSpan ForwardValidity = TimeSpan.FromSeconds(60);

    private readonly byte[] _sidKey;
    private readonly byte[] _forwardKey;

    public ClusterSigner(string secret)
    {
        var master = Encoding.UTF8.GetBytes(secret);
        _sidKey = HMACSHA256.HashData(master, "boshgateway session id"u8);
        _forwardKey = HMACSHA256.HashData(master, "boshgateway forwarded request"u8);
    }

    /// <summary>A new session id: 128 random bits, the owner node, and a MAC over both.</summary>
    public string NewSessionId(string node)
    {
        var prefix = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)) + "." + node;
        return prefix + "." + SidMac(prefix);
    }

    /// <summary>The owner node of a session id this cluster issued; false for anything else.</summary>
    public bool TryGetOwner(string sid, out string node)
    {
        node = "";
        var macDot = sid.LastIndexOf('.');
        var nodeDot = macDot > 0 ? sid.LastIndexOf('.', macDot - 1) : -1;
        if (nodeDot != 32 || macDot - nodeDot < 2 || sid.Length - macDot - 1 != SidMacBytes * 2)
        {
            return false;
        }
        var expected = SidMac(sid.AsSpan(0, macDot));
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(sid[(macDot + 1)..])))
        {
            return false;
        }
        node = sid[(nodeDot + 1)..macDot];
        return true;
    }

    /// <summary>
    /// The header value for a request from <paramref name="node"/> carrying <paramref name="body"/>, which its client sent
    /// over HTTPS or not (<paramref name="overHttps"/>, signed too: the owner holds a session created over HTTPS to it).
    /// </summary>
    public string SignForward(string node, ReadOnlySpan<byte> body, DateTimeOffset now, bool overHttps)
    {
        var stamp = now.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        var fields = node + ";" + stamp + ";" + (overHttps ? "https" : "http");
        return fields + ";" + ForwardMac(fields, body);
    }

    /// <summary>
    /// True when the header was made by a node holding the secret, for this body, within the last minute;
    /// <paramref name="overHttps"/> is the client's scheme, or null from a node of a version that did not sign it.
    /// </summary>
    public bool VerifyForward(string header, ReadOnlySpan<byte> body, DateTimeOffset now, out string fromNode, out bool? overHttps)
    {
        fromNode = "";
        overHttps = null;
        var parts = header.Split(';');
        if (parts.Length is not (3 or 4) || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var millis)
            || (parts.Length == 4 && parts[2] is not ("https" or "http")))
        {
            return false;
        }
        var age = now - DateTimeOffset.FromUnixTimeMilliseconds(millis);
        if (age > ForwardValidity || age < -ForwardValidity)
        {
            return false;
        }
        var expected = ForwardMac(string.Join(';', parts[..^1]), body);
        if (!CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), Encoding.ASCII.GetBytes(parts[^1])))
        {
            return false;
        }
        if (parts.Length == 4)
        {
            overHttps = parts[2] == "https";
        }
        fromNode = parts[0];
        return true;
    }

    private string SidMac(ReadOnlySpan<char> prefix)
    {
        Span<byte> mac = stackalloc byte[32];
        HMACSHA256.HashData(_sidKey, Encoding.ASCII.GetBytes(prefix.ToString()), mac);
        return Convert.ToHexStringLower(mac[..SidMacBytes]);
    }

    /// <summary>The MAC over the header's fields before it (<c>node;stamp[;scheme]</c>) and the body.</summary>
    private string ForwardMac(string fields, ReadOnlySpan<byte> body)
    {
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA256, _forwardKey);
        hmac.AppendData(Encoding.UTF8.GetBytes(fields + ";"));
        hmac.AppendData(body);
        Span<byte> mac = stackalloc byte[32];
        hmac.GetHashAndReset(mac);
        return Convert.ToHexStringLower(mac[..ForwardMacBytes]);
    }
}
