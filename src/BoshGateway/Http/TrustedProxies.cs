using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using IPNetwork = System.Net.IPNetwork;

namespace BoshGateway.Http;

/// <summary>
/// <c>Gateway:TrustedProxies</c>: the reverse proxies whose <c>X-Forwarded-For</c> and <c>-Proto</c> the gateway
/// believes. The client address they yield keys every per-address limit, so the list replaces ASP.NET Core's
/// default (all of loopback) rather than adding to it.
/// </summary>
public static class TrustedProxies
{
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
    }
}
