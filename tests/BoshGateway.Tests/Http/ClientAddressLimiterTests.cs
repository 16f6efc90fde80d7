using System.Net;
using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Telemetry;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BoshGateway.Tests.Http;

public class ClientAddressLimiterTests
{
    private static readonly IPAddress Client = IPAddress.Parse("192.0.2.7");
    private readonly FakeTimeProvider _time = new();

    private ClientAddressLimiter Limiter(Action<GatewayOptions> configure)
    {
        var options = new GatewayOptions();
        configure(options);
        return new ClientAddressLimiter(Options.Create(options), _time);
    }

    [Fact]
    public void StartRate_RefusesPastTheBurst_WithRetryAfter_AndRefillsWithTime()
    {
        var limiter = Limiter(o => { o.Throttle.SessionsPerSecond = 2; o.Throttle.SessionBurst = 3; });
        for (var i = 0; i < 3; i++)
        {
            Assert.Null(limiter.TryAdmit(Client, out _));
        }
        Assert.Equal(RejectionReason.StartRate, limiter.TryAdmit(Client, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(0.5), retryAfter);
        Assert.Null(limiter.TryAdmit(IPAddress.Parse("192.0.2.8"), out _));

        _time.Advance(TimeSpan.FromSeconds(0.5));
        Assert.Null(limiter.TryAdmit(Client, out _));
        Assert.Equal(RejectionReason.StartRate, limiter.TryAdmit(Client, out _));
    }

    [Fact]
    public void Registrations_RefusedPastTheBurst_RefillAtTheHourlyRate_PerAddress()
    {
        var limiter = Limiter(o => { o.Throttle.RegistrationsPerHour = 2; o.Throttle.RegistrationBurst = 2; });
        Assert.True(limiter.TryRegister(Client));
        Assert.True(limiter.TryRegister(Client));
        Assert.False(limiter.TryRegister(Client));
        Assert.True(limiter.TryRegister(IPAddress.Parse("192.0.2.8")));

        _time.Advance(TimeSpan.FromMinutes(29));
        Assert.False(limiter.TryRegister(Client));
        _time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(limiter.TryRegister(Client));
        Assert.False(limiter.TryRegister(Client));
    }

    [Fact]
    public void Registrations_Unlimited_WhenTheRateIsZero()
    {
        var limiter = Limiter(o => o.Throttle.RegistrationsPerHour = 0);
        Assert.All(Enumerable.Range(0, 100), _ => Assert.True(limiter.TryRegister(Client)));
    }

    [Fact]
    public void StartRateRefusal_HoldsNoSlot()
    {
        var limiter = Limiter(o => { o.MaxSessionsPerClientAddress = 2; o.Throttle.SessionsPerSecond = 1; o.Throttle.SessionBurst = 1; });
        Assert.Null(limiter.TryAdmit(Client, out _));
        Assert.Equal(RejectionReason.StartRate, limiter.TryAdmit(Client, out _));
        Assert.Equal(1, limiter.Busiest);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Null(limiter.TryAdmit(Client, out _));
    }

    [Fact]
    public void Unauthenticated_AreCappedUntilOneAuthenticates()
    {
        var limiter = Limiter(o => o.Throttle.MaxUnauthenticatedPerAddress = 2);
        Assert.Null(limiter.TryAdmit(Client, out _));
        Assert.Null(limiter.TryAdmit(Client, out _));
        Assert.Equal(RejectionReason.Unauthenticated, limiter.TryAdmit(Client, out var retryAfter));
        Assert.Null(retryAfter);
        Assert.Equal(2, limiter.Busiest);

        limiter.ReleaseUnauthenticated(Client);
        Assert.Null(limiter.TryAdmit(Client, out _));
        Assert.Equal(3, limiter.Busiest);
    }

    [Fact]
    public void UnknownSids_AreAnsweredUntilTheBudgetIsSpent_AskingCostsNothing()
    {
        var limiter = Limiter(o => { o.Throttle.UnknownSidsPerSecond = 1; o.Throttle.UnknownSidBurst = 2; });
        for (var i = 0; i < 5; i++)
        {
            Assert.True(limiter.MayLookUpUnknownSid(Client, out _));
        }
        limiter.CountUnknownSid(Client);
        limiter.CountUnknownSid(Client);
        Assert.False(limiter.MayLookUpUnknownSid(Client, out var retryAfter));
        Assert.Equal(TimeSpan.FromSeconds(1), retryAfter);
        Assert.True(limiter.MayLookUpUnknownSid(IPAddress.Parse("192.0.2.8"), out _));
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.True(limiter.MayLookUpUnknownSid(Client, out _));
    }

    [Fact]
    public void ZeroRate_TurnsTheThrottleOff()
    {
        var limiter = Limiter(o => { o.Throttle.SessionsPerSecond = 0; o.Throttle.UnknownSidsPerSecond = 0; });
        for (var i = 0; i < 200; i++)
        {
            Assert.Null(limiter.TryAdmit(Client, out _));
            limiter.ReleaseUnauthenticated(Client);
            limiter.Release(Client);
            limiter.CountUnknownSid(Client);
        }
        Assert.True(limiter.MayLookUpUnknownSid(Client, out _));
    }

    [Fact]
    public void IPv6_CountsByItsSlash64()
    {
        var limiter = Limiter(o => o.MaxSessionsPerClientAddress = 2);
        Assert.Null(limiter.TryAdmit(IPAddress.Parse("2001:db8:1:2::1"), out _));
        Assert.Null(limiter.TryAdmit(IPAddress.Parse("2001:db8:1:2:aaaa::9"), out _));
        Assert.Equal(RejectionReason.AddressCap, limiter.TryAdmit(IPAddress.Parse("2001:db8:1:2:ffff:ffff:ffff:ffff"), out _));
        Assert.Null(limiter.TryAdmit(IPAddress.Parse("2001:db8:1:3::1"), out _));
        Assert.Equal(IPAddress.Parse("192.0.2.7"), ClientAddressLimiter.KeyOf(IPAddress.Parse("::ffff:192.0.2.7")));
        Assert.Equal(IPAddress.IPv6Loopback, ClientAddressLimiter.KeyOf(IPAddress.IPv6Loopback));
    }
}
