using System.Globalization;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Bosh;

/// <summary>
/// Issue #14: a BOSH client that stops polling while the server pushes to it made the gateway buffer
/// everything (9 MiB seen for one session). The gateway now holds at most <c>Gateway:Bosh:MaxQueuedBytes</c>
/// (plus the read in progress) for it and stops reading from the server meanwhile; the rest stays with
/// the server and follows, in order, once the client polls again.
/// </summary>
public class BoshSlowReaderTests(XmppServers servers)
{
    private const int Cap = 64 * 1024;
    private const int MessageBytes = 16 * 1024;
    private const int Count = 48; // 768 KiB: twelve times the cap

    [Fact]
    public async Task ClientThatStopsPolling_GatewayHoldsAtMostTheCap_AndTheRestFollowsInOrder()
    {
        var server = servers.Prosody;
        server.RequireRunning();
        await using var gateway = await GatewayHost.StartAsync(server.C2sPort, $"Gateway:Bosh:MaxQueuedBytes={Cap.ToString(CultureInfo.InvariantCulture)}");
        await using var alice = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await using var bob = new BoshTestClient(gateway.BoshUrl, server.Domain);
        await alice.LoginAsync(TestUsers.Take(server), wait: 2);
        await bob.LoginAsync(TestUsers.Take(server));
        var to = alice.Jid!.Split('/')[0];
        await alice.StopPollingAsync();

        var filler = new string('x', MessageBytes);
        for (var i = 0; i < Count; i += 4)
        {
            var batch = string.Concat(Enumerable.Range(i, 4).Select(n =>
                $"<message to='{to}' type='chat' id='slow-{n.ToString(CultureInfo.InvariantCulture)}'><body>slow {n.ToString(CultureInfo.InvariantCulture)} {filler}</body></message>"));
            await bob.SendAsync(batch);
        }
        // The server answers this only after routing every message above toward alice's stream; then give the
        // gateway time to read all it would read (before the fix: everything, into alice's outbox).
        await bob.SendAsync($"<iq type='get' id='flushed' to='{server.Domain}'><ping xmlns='urn:xmpp:ping'/></iq>");
        await bob.WaitForAsync(e => (string?)e.Attribute("id") == "flushed");
        await Task.Delay(TimeSpan.FromSeconds(2), TestContext.Current.CancellationToken);

        var first = await alice.SendAsync("");
        var firstMessages = first.Elements(BoshTestClient.Client + "message").Count();
        var firstBytes = first.ToString(System.Xml.Linq.SaveOptions.DisableFormatting).Length;
        TestContext.Current.TestOutputHelper?.WriteLine($"first answer after the pause: {firstMessages} messages, {firstBytes / 1024} KiB (cap {Cap / 1024} KiB)");

        // At most the cap, one read buffer and the element it completed: not the 768 KiB the server sent.
        Assert.InRange(firstMessages, 1, (Cap + 8 * 1024 + MessageBytes) / MessageBytes + 1);
        Assert.True(firstBytes <= Cap + 8 * 1024 + 2 * MessageBytes, $"the first answer carried {firstBytes} bytes");

        // Nothing was lost, only held back by the server: the rest follows in order once alice polls again.
        alice.StartPolling();
        var last = $"slow-{(Count - 1).ToString(CultureInfo.InvariantCulture)}";
        await alice.WaitForAsync(e => (string?)e.Attribute("id") == last, TimeSpan.FromSeconds(30), remove: false);
        var ids = alice.Inbox.Select(e => (string?)e.Attribute("id")).Where(id => id?.StartsWith("slow-", StringComparison.Ordinal) == true);
        Assert.Equal(Enumerable.Range(0, Count).Select(n => $"slow-{n.ToString(CultureInfo.InvariantCulture)}"), ids);
        Assert.Null(alice.Terminate);
        Assert.Equal(2, gateway.Sessions.Count);
    }
}
