using System.Text;
using BoshGateway.IntegrationTests.Infrastructure;

namespace BoshGateway.IntegrationTests.Differential;

/// <summary>
/// The hostile-input catalogue's A, B and C cases sent to Prosody's own mod_bosh and mod_websocket and
/// to the gateway in front of the same Prosody. Each case states both answers; where they differ, why
/// the gateway's is the one we want (docs/robustness.md, "Differential check"). A change on either side
/// fails the test with the whole table, which is also written to .tmp/differential.md.
/// </summary>
public sealed class ProsodyDifferentialTests : IAsyncLifetime
{
    private XmppServer _server = null!;
    private GatewayHost _gateway = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await XmppServers.StartPrivateProsodyAsync("prosody-differential", "alice");
        _server.RequireRunning();
        _gateway = await GatewayHost.StartAsync(_server.C2sPort, "Gateway:Backends:Pool:Size=0");
    }

    public async ValueTask DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
        await XmppServers.StopPrivateAsync(_server);
    }

    [Fact]
    public async Task CatalogueInputs_AnsweredByProsodyAndByTheGateway_DifferOnlyWhereDocumented()
    {
        var prosodyHttp = new Uri($"http://127.0.0.1:{_server.HttpPort}/");
        var prosody = new DifferentialProbe(new Uri(prosodyHttp, "/http-bind"), new Uri($"ws://127.0.0.1:{_server.HttpPort}/xmpp-websocket"), _server.Domain);
        var gateway = new DifferentialProbe(_gateway.BoshUrl, _gateway.WebSocketUrl, _server.Domain);

        var rows = new List<string>();
        var mismatches = new List<string>();
        foreach (var c in DifferentialCases.All)
        {
            var atProsody = await c.Run(prosody);
            var atGateway = await c.Run(gateway);
            var differ = atProsody != atGateway;
            rows.Add($"| {c.Id} | {c.Input} | {atProsody} | {atGateway} | {(differ ? c.Why ?? "**undocumented**" : "same")} |");
            if (atProsody != c.Prosody || atGateway != c.Gateway || (differ && c.Why is null))
            {
                mismatches.Add($"{c.Id} {c.Input}: Prosody {atProsody} (expected {c.Prosody}), gateway {atGateway} (expected {c.Gateway})");
            }
        }
        var table = new StringBuilder()
            .AppendLine("| case | input | Prosody 0.12 mod_bosh / mod_websocket | gateway | why they differ |")
            .AppendLine("|---|---|---|---|---|");
        rows.ForEach(r => table.AppendLine(r));
        await File.WriteAllTextAsync(Path.Combine(RepoPaths.Root, ".tmp", "differential.md"), table.ToString());
        Assert.True(mismatches.Count == 0, string.Join("\n", mismatches) + "\n\n" + table);
    }
}
