using System.Text;
using BoshGateway.Bosh;
using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Sessions;
using Microsoft.Extensions.Options;

namespace BoshGateway.Tests.Bosh;

/// <summary>
/// What a request held by a session keeps while it waits (up to <c>wait</c> seconds, one per idle session): not its
/// parsed body (about 1 KiB of attributes, namespaces and strings).
/// </summary>
public class HeldRequestMemoryTests
{
    [Fact]
    public async Task AHeldRequest_DoesNotKeepItsParsedBody()
    {
        var h = new SessionHarness();
        var options = Options.Create(new GatewayOptions());
        var endpoint = new BoshEndpoint(options, h.Lifecycle, new InMemorySessionDirectory(), new OriginPolicy(options), h.Time, h.Logs);
        var (held, body) = Hold(endpoint, h);
        for (var i = 0; i < 3 && body.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(held.IsCompleted, "the request should be held");
        Assert.False(body.IsAlive, "the held request keeps its parsed body");
        // Still answered as before once something arrives for the client.
        h.Backend.Server("<message from='bob@localhost' type='chat'><body>hi</body></message>");
        Assert.Contains("hi", Encoding.UTF8.GetString((await held).Body), StringComparison.Ordinal);
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static (Task<BoshAnswer> Held, WeakReference Body) Hold(BoshEndpoint endpoint, SessionHarness h)
    {
        var body = BoshBodyParser.Parse(Encoding.UTF8.GetBytes(
            $"<body rid='{SessionHarness.FirstRid + 1}' sid='sid1' xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'/>"));
        return (endpoint.HandleLocalAsync(h.Session, body, CancellationToken.None), new WeakReference(body));
    }
}
