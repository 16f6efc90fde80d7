using System.Globalization;
using BoshGateway.Cluster;
using BoshGateway.Sessions;

namespace BoshGateway.Tests.Sessions;

/// <summary>robustness B1: session ids a client cannot guess or collide with.</summary>
public class SessionIdTests
{
    private const int Count = 1_000_000;

    [Fact]
    public void AMillionSessionIds_NoneRepeats_AndEveryBitVaries()
    {
        var seen = new HashSet<UInt128>(Count);
        var repeats = 0;
        UInt128 anySet = UInt128.Zero, allSet = UInt128.MaxValue;
        for (var i = 0; i < Count; i++)
        {
            var sid = SessionId.New();
            var value = UInt128.Parse(sid, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
            repeats += seen.Add(value) ? 0 : 1;
            anySet |= value;
            allSet &= value;
        }

        Assert.Equal(0, repeats);
        // A generator with a stuck bit (a constant prefix, a counter, a narrow seed) would leave one of these short.
        Assert.Equal(UInt128.MaxValue, anySet);
        Assert.Equal(UInt128.Zero, allSet);
    }

    [Fact]
    public void AHundredThousandForgedClusterSessionIds_NoneIsAccepted()
    {
        // Well-formed guesses (random id, a real node's name, a random 64-bit signature): the signature refuses each,
        // so none costs a registry lookup or a forward.
        var signer = new ClusterSigner("a-cluster-secret-of-at-least-32-chars");
        var accepted = 0;
        for (var i = 0; i < 100_000; i++)
        {
            var guess = SessionId.New() + ".node-1." + SessionId.New()[..16];
            accepted += signer.TryGetOwner(guess, out _) ? 1 : 0;
        }

        Assert.Equal(0, accepted);
        Assert.True(signer.TryGetOwner(signer.NewSessionId("node-1"), out _));
    }
}
