using System.Text;
using BoshGateway.Cluster;

namespace BoshGateway.Tests.Cluster;

public class ClusterSignerTests
{
    private static readonly ClusterSigner Signer = new("a-cluster-secret-of-at-least-32-chars");
    private static readonly DateTimeOffset Now = new(2026, 11, 23, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void SessionId_CarriesItsOwner_And128RandomBits()
    {
        var sid = Signer.NewSessionId("node-7");

        Assert.True(Signer.TryGetOwner(sid, out var owner));
        Assert.Equal("node-7", owner);
        Assert.Matches("^[0-9a-f]{32}\\.node-7\\.[0-9a-f]{16}$", sid);
        Assert.NotEqual(sid, Signer.NewSessionId("node-7"));
    }

    [Theory]
    [InlineData("node-8")]
    [InlineData("node-")]
    public void SessionId_WithAnotherOwnerWrittenIn_IsNotAccepted(string forged)
    {
        var parts = Signer.NewSessionId("node-7").Split('.');

        Assert.False(Signer.TryGetOwner($"{parts[0]}.{forged}.{parts[2]}", out _));
    }

    [Theory]
    [InlineData("")]
    [InlineData("0123456789abcdef0123456789abcdef")]
    [InlineData("..")]
    [InlineData("0123456789abcdef0123456789abcdef.node.")]
    [InlineData("0123456789abcdef0123456789abcdef.node.zzzzzzzzzzzzzzzz")]
    public void SessionIds_NotIssuedByTheCluster_AreNotAccepted(string sid) => Assert.False(Signer.TryGetOwner(sid, out _));

    [Fact]
    public void SessionId_FromAnotherClusterSecret_IsNotAccepted() =>
        Assert.False(new ClusterSigner("another-secret-also-32-characters-long").TryGetOwner(Signer.NewSessionId("node-7"), out _));

    [Fact]
    public void ForwardMark_HoldsForItsBody_WithinAMinute()
    {
        var body = Encoding.UTF8.GetBytes("<body rid='1' sid='x'/>");
        var header = Signer.SignForward("node-2", body, Now, overHttps: true);

        Assert.True(Signer.VerifyForward(header, body, Now.AddSeconds(30), out var from, out var overHttps));
        Assert.Equal("node-2", from);
        Assert.True(overHttps);
        Assert.False(Signer.VerifyForward(header, Encoding.UTF8.GetBytes("<body rid='2' sid='x'/>"), Now, out _, out _));
        Assert.False(Signer.VerifyForward(header, body, Now.AddMinutes(2), out _, out _));
        Assert.False(Signer.VerifyForward(header.Replace("node-2", "node-3", StringComparison.Ordinal), body, Now, out _, out _));
        Assert.False(new ClusterSigner("another-secret-also-32-characters-long").VerifyForward(header, body, Now, out _, out _));
        Assert.False(Signer.VerifyForward("garbage", body, Now, out _, out _));
    }

    [Fact]
    public void ForwardMark_SignsTheClientsScheme()
    {
        var body = Encoding.UTF8.GetBytes("<body rid='1' sid='x'/>");
        var plain = Signer.SignForward("node-2", body, Now, overHttps: false);
        Assert.True(Signer.VerifyForward(plain, body, Now, out _, out var overHttps));
        Assert.False(overHttps);
        // A node (or anyone on the path) cannot turn a plain request into an HTTPS one.
        Assert.False(Signer.VerifyForward(plain.Replace(";http;", ";https;", StringComparison.Ordinal), body, Now, out _, out _));
    }

    [Fact]
    public void ForwardMark_OfAnEarlierVersion_WithoutTheScheme_StillHolds_SchemeUnknown()
    {
        // node;stamp;mac, as nodes signed before the scheme was added: a rolling upgrade keeps forwarding.
        var body = Encoding.UTF8.GetBytes("<body rid='1' sid='x'/>");
        var key = System.Security.Cryptography.HMACSHA256.HashData(Encoding.UTF8.GetBytes("a-cluster-secret-of-at-least-32-chars"), "boshgateway forwarded request"u8);
        var stamp = Now.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture);
        byte[] signed = [.. Encoding.UTF8.GetBytes($"node-2;{stamp};"), .. body];
        var mac = System.Security.Cryptography.HMACSHA256.HashData(key, signed);
        var legacy = $"node-2;{stamp};{Convert.ToHexStringLower(mac.AsSpan(0, 16))}";

        Assert.True(Signer.VerifyForward(legacy, body, Now, out var from, out var overHttps));
        Assert.Equal("node-2", from);
        Assert.Null(overHttps);
    }
}
