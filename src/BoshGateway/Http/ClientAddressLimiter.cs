using System.Net;
using BoshGateway.Configuration;
using BoshGateway.Telemetry;
using Microsoft.Extensions.Options;

namespace BoshGateway.Http;

/// <summary>
/// Per-client-address limits. The XMPP server sees every client as the gateway's own address, so these can
/// only live here: the sessions one address holds (<c>Gateway:MaxSessionsPerClientAddress</c>), how many of
/// them are not yet authenticated, how fast it may start new ones, and how fast it may ask for sids nobody
/// knows (<c>Gateway:Throttle</c>). The address is the TCP peer, or the client named by X-Forwarded-For
/// when one of <c>Gateway:TrustedProxies</c> sent it; IPv6 counts by /64. Everything here is lock-free or
/// locks one address's bucket for a few instructions.
/// </summary>
public sealed class ClientAddressLimiter
{
    private readonly AddressCounter _sessions;
    private readonly AddressCounter _unauthenticated;
    private readonly AddressRate? _starts;
    private readonly AddressRate? _unknownSids;
    private readonly AddressRate? _registrations;

    public ClientAddressLimiter(IOptions<GatewayOptions> options, TimeProvider time)
    {
        var gateway = options.Value;
        var throttle = gateway.Throttle;
        _sessions = new AddressCounter(gateway.MaxSessionsPerClientAddress);
        _unauthenticated = new AddressCounter(throttle.MaxUnauthenticatedPerAddress);
        _starts = throttle.SessionsPerSecond > 0 ? new AddressRate(throttle.SessionsPerSecond, throttle.SessionBurst, time) : null;
        _unknownSids = throttle.UnknownSidsPerSecond > 0 ? new AddressRate(throttle.UnknownSidsPerSecond, throttle.UnknownSidBurst, time) : null;
        _registrations = throttle.RegistrationsPerHour > 0 ? new AddressRate(throttle.RegistrationsPerHour / 3600.0, throttle.RegistrationBurst, time) : null;
    }

    /// <summary>The most sessions one client address holds now (read when metrics are collected; walks all addresses).</summary>
    public int Busiest => _sessions.Highest;

    /// <summary>
    /// The key every limit counts by: the address itself for IPv4, its /64 network for IPv6 (one subscriber
    /// usually has a whole /64, and could otherwise pick a fresh address for every session).
    /// </summary>
    public static IPAddress KeyOf(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            return address.MapToIPv4();
        }
        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6 || IPAddress.IsLoopback(address))
        {
            return address;
        }
        Span<byte> bytes = stackalloc byte[16];
        address.TryWriteBytes(bytes, out _);
        bytes[8..].Clear();
        return new IPAddress(bytes);
    }

    /// <summary>
    /// Takes a session slot and an unauthenticated slot for <paramref name="address"/>, and a token of its
    /// session-start rate; on refusal nothing is held and <paramref name="retryAfter"/> says when to try again, if known.
    /// </summary>
    public RejectionReason? TryAdmit(IPAddress? address, out TimeSpan? retryAfter)
    {
        retryAfter = null;
        if (address is null)
        {
            return null;
        }
        var key = KeyOf(address);
        if (!_sessions.TryAcquire(key))
        {
            return RejectionReason.AddressCap;
        }
        if (!_unauthenticated.TryAcquire(key))
        {
            _sessions.Release(key);
            return RejectionReason.Unauthenticated;
        }
        if (_starts is not null && !_starts.TryTake(key, 1, out var wait))
        {
            _unauthenticated.Release(key);
            _sessions.Release(key);
            retryAfter = wait;
            return RejectionReason.StartRate;
        }
        return null;
    }

    /// <summary>Gives the session slot back.</summary>
    public void Release(IPAddress? address)
    {
        if (address is not null)
        {
            _sessions.Release(KeyOf(address));
        }
    }

    /// <summary>Gives the unauthenticated slot back (the session authenticated, or ended before it did).</summary>
    public void ReleaseUnauthenticated(IPAddress? address)
    {
        if (address is not null)
        {
            _unauthenticated.Release(KeyOf(address));
        }
    }

    /// <summary>False when <paramref name="address"/> has used up its unknown-sid budget: answer 429 without looking the sid up.</summary>
    public bool MayLookUpUnknownSid(IPAddress? address, out TimeSpan? retryAfter)
    {
        retryAfter = null;
        if (address is null || _unknownSids is null || _unknownSids.TryTake(KeyOf(address), 0, out var wait))
        {
            return true;
        }
        retryAfter = wait;
        return false;
    }

    /// <summary>Spends one of <paramref name="address"/>'s registration tokens; false when none is left (the registration must not go on).</summary>
    public bool TryRegister(IPAddress? address) =>
        address is null || _registrations is null || _registrations.TryTake(KeyOf(address), 1, out _);

    /// <summary>Spends one of <paramref name="address"/>'s unknown-sid tokens: a request named a sid nobody knows.</summary>
    public void CountUnknownSid(IPAddress? address)
    {
        if (address is not null)
        {
            _unknownSids?.TryTake(KeyOf(address), 1, out _);
        }
    }
}
