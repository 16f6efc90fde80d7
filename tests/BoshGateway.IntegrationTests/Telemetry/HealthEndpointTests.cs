using System.Net;
using BoshGateway.IntegrationTests.Infrastructure;
using BoshGateway.Sessions;
using Microsoft.Extensions.DependencyInjection;

namespace BoshGateway.IntegrationTests.Telemetry;

/// <summary>Liveness follows the session sweeper: a stuck sweep fails <c>/alive</c> (so the pod is restarted) and leaves readiness alone.</summary>
public class HealthEndpointTests
{
    [Fact]
    public async Task Alive_FailsWhileTheSweepIsStuck_AndRecovers()
    {
        await using var gateway = await GatewayHost.StartAsync(FreePort.Next(), "Gateway:Bosh:TimerResolution=00:00:00.100");
        using var http = new HttpClient { BaseAddress = gateway.BaseUrl, Timeout = TimeSpan.FromSeconds(5) };
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/alive", TestContext.Current.CancellationToken)).StatusCode);

        // A session whose timer callback blocks: the one sweeper thread is stuck behind it.
        using var stuck = new StuckSession();
        var lifecycle = gateway.Services.GetRequiredService<SessionLifecycle>();
        lifecycle.Add(stuck);
        Assert.True(stuck.Entered.Wait(TimeSpan.FromSeconds(5)), "the sweeper never reached the stuck session");

        HttpResponseMessage alive;
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        do
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            alive = await http.GetAsync("/alive", TestContext.Current.CancellationToken);
        }
        while (alive.StatusCode == HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, alive.StatusCode);
        Assert.Contains("no session sweep completed", await alive.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync("/health", TestContext.Current.CancellationToken)).StatusCode);

        stuck.Release();
        lifecycle.Forget(stuck);
        deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
        do
        {
            await Task.Delay(100, TestContext.Current.CancellationToken);
            alive = await http.GetAsync("/alive", TestContext.Current.CancellationToken);
        }
        while (alive.StatusCode != HttpStatusCode.OK && DateTime.UtcNow < deadline);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    private sealed class StuckSession : IGatewaySession, IDisposable
    {
        private readonly ManualResetEventSlim _release = new();

        public ManualResetEventSlim Entered { get; } = new();

        public SessionInfo Info { get; } = new("stuck-" + Guid.NewGuid().ToString("N"), SessionTransport.WebSocket, null, 0);

        public void OnTick()
        {
            Entered.Set();
            _release.Wait(TimeSpan.FromSeconds(30));
        }

        public void EndUnplanned(SessionEndReason reason) => _release.Set();

        public void Release() => _release.Set();

        public void Dispose()
        {
            _release.Dispose();
            Entered.Dispose();
        }
    }
}
