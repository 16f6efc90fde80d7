using BoshGateway.Backend;

namespace BoshGateway.Tests.Backend;

/// <summary>Reading one SRV answer (RFC 2782's "." target) and merging the STARTTLS and direct-TLS services (XEP-0368).</summary>
public class SrvLookupResultTests
{
    private static DestinationAddress D(string host, bool directTls = false) => new(host, 5222, 0, directTls, 0);

    [Fact]
    public void FromRecords_SingleDot_IsNotAvailable()
    {
        Assert.Equal(SrvLookupOutcome.NotAvailable, SrvLookupResult.FromRecords([D(".")]).Outcome);
        Assert.Equal(SrvLookupOutcome.NotAvailable, SrvLookupResult.FromRecords([D("")]).Outcome);
    }

    [Fact]
    public void FromRecords_DotAmongOthers_IsDropped_AndTrailingDotsStripped()
    {
        var result = SrvLookupResult.FromRecords([D("."), D("xmpp.example.test.")]);
        Assert.Equal(SrvLookupOutcome.Found, result.Outcome);
        Assert.Equal(["xmpp.example.test"], result.Destinations.Select(d => d.Host));
    }

    [Fact]
    public void FromRecords_None_IsNoRecords() => Assert.Equal(SrvLookupOutcome.NoRecords, SrvLookupResult.FromRecords([]).Outcome);

    [Fact]
    public void Combine_BothFound_MergesBoth_KeepingTheirTlsFlags()
    {
        var result = SrvLookupResult.Combine(SrvLookupResult.FromRecords([D("a.")]), SrvLookupResult.FromRecords([D("b.", directTls: true)]));
        Assert.Equal(SrvLookupOutcome.Found, result.Outcome);
        Assert.Equal([("a", false), ("b", true)], result.Destinations.Select(d => (d.Host, d.DirectTls)));
        Assert.Null(result.Error);
    }

    [Fact]
    public void Combine_StartTlsDot_ButDirectTlsRecords_UsesDirectTls()
    {
        var result = SrvLookupResult.Combine(SrvLookupResult.NotAvailable, SrvLookupResult.FromRecords([D("b", directTls: true)]));
        Assert.Equal(SrvLookupOutcome.Found, result.Outcome);
        Assert.Equal(["b"], result.Destinations.Select(d => d.Host));
    }

    [Fact]
    public void Combine_StartTlsDot_DirectTlsNothing_IsNotAvailable()
    {
        Assert.Equal(SrvLookupOutcome.NotAvailable, SrvLookupResult.Combine(SrvLookupResult.NotAvailable, SrvLookupResult.NoRecords).Outcome);
        Assert.Equal(SrvLookupOutcome.NotAvailable, SrvLookupResult.Combine(SrvLookupResult.NotAvailable, SrvLookupResult.NotAvailable).Outcome);
    }

    [Fact]
    public void Combine_OnlyDirectTlsDot_KeepsTheFallback()
    {
        // "." for _xmpps-client only says "no direct TLS"; without _xmpp-client records the client falls back to 5222.
        Assert.Equal(SrvLookupOutcome.NoRecords, SrvLookupResult.Combine(SrvLookupResult.NoRecords, SrvLookupResult.NotAvailable).Outcome);
    }

    [Fact]
    public void Combine_OneFailed_OtherEmpty_IsFailed_NotNoRecords()
    {
        var result = SrvLookupResult.Combine(SrvLookupResult.NoRecords, SrvLookupResult.Failed("timeout"));
        Assert.Equal(SrvLookupOutcome.Failed, result.Outcome);
        Assert.Equal("timeout", result.Error);
        Assert.Equal(SrvLookupOutcome.Failed, SrvLookupResult.Combine(SrvLookupResult.NotAvailable, SrvLookupResult.Failed("x")).Outcome);
    }

    [Fact]
    public void Combine_OneFailed_OtherFound_IsFound_WithTheError()
    {
        var result = SrvLookupResult.Combine(SrvLookupResult.Failed("servfail"), SrvLookupResult.FromRecords([D("b", directTls: true)]));
        Assert.Equal(SrvLookupOutcome.Found, result.Outcome);
        Assert.Equal("servfail", result.Error);
        Assert.Single(result.Destinations);
    }

    [Fact]
    public void Combine_BothFailed_NamesBothErrors()
    {
        var result = SrvLookupResult.Combine(SrvLookupResult.Failed("one"), SrvLookupResult.Failed("two"));
        Assert.Equal((SrvLookupOutcome.Failed, "one; two"), (result.Outcome, result.Error));
    }
}
