using System.Collections.Concurrent;
using System.Net;
using BoshGateway.Configuration;
using Microsoft.Extensions.Options;

namespace BoshGateway.Http;

/// <summary>
/// Caps the sessions (BOSH and WebSocket together) one client address may hold. The XMPP server sees
/// every client as the gateway's own address, so this limit can only live here. The address is the
/// TCP peer, or the client named by X-Forwarded-For when a trusted (loopback) proxy sent it.
/// </summary>
public sealed class ClientAddressLimiter(IOptions<GatewayOptions> options)
{
    private readonly ConcurrentDictionary<IPAddress, int> _sessions = new();
    private readonly int _limit = options.Value.MaxSessionsPerClientAddress;

    /// <summary>The most sessions one client address holds now (read when metrics are collected; walks all addresses).</summary>
    public int Busiest
    {
        get
        {
            var most = 0;
            foreach (var (_, count) in _sessions)
            {
                most = Math.Max(most, count);
            }
            return most;
        }
    }

    /// <summary>Takes a slot for <paramref name="address"/>; false when it already holds the maximum.</summary>
    public bool TryAcquire(IPAddress? address)
    {
        if (address is null)
        {
            return true;
        }
        while (true)
        {
            var current = _sessions.GetValueOrDefault(address);
            if (current >= _limit)
            {
                return false;
            }
            if (current == 0 ? _sessions.TryAdd(address, 1) : _sessions.TryUpdate(address, current + 1, current))
            {
                return true;
            }
        }
    }

    /// <summary>Gives the slot back.</summary>
    public void Release(IPAddress? address)
    {
        if (address is null)
        {
            return;
        }
        while (_sessions.TryGetValue(address, out var current))
        {
            if (current <= 1 ? _sessions.TryRemove(new KeyValuePair<IPAddress, int>(address, current)) : _sessions.TryUpdate(address, current - 1, current))
            {
                return;
            }
        }
    }
}
