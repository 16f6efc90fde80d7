using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BoshGateway.Tests.Http;

/// <summary>The order of stopping: readiness fails first, sessions end only after Gateway:ShutdownGrace.</summary>
public class ShutdownDrainTests
{
    private static readonly TimeSpan Grace = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task ApplicationStopping_DrainsAtOnce_ClosesOnlyAfterTheGrace()
    {
        var (drain, state, lifetime, time) = Create(Grace);
        await drain.StartingAsync(TestContext.Current.CancellationToken);

        // SIGTERM and Ctrl-C raise ApplicationStopping before the host calls StoppingAsync.
        lifetime.StopApplication();
        Assert.True(state.IsDraining);
        Assert.False(state.IsClosed);
        var stopping = drain.StoppingAsync(TestContext.Current.CancellationToken);

        time.Advance(Grace - TimeSpan.FromMilliseconds(1));
        Assert.False(state.IsClosed);
        Assert.False(stopping.IsCompleted);

        time.Advance(TimeSpan.FromMilliseconds(1));
        await Eventually.TrueAsync(() => state.IsClosed, "the grace is over", TimeSpan.FromSeconds(5));
        // No session left to collect: nothing more to wait for.
        await stopping.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task StoppingAsync_First_StartsTheSameSequence_Once()
    {
        var (drain, state, lifetime, time) = Create(Grace);
        await drain.StartingAsync(TestContext.Current.CancellationToken);

        var stopping = drain.StoppingAsync(TestContext.Current.CancellationToken);
        Assert.True(state.IsDraining);
        Assert.False(state.IsClosed);
        // IHost.StopAsync raises ApplicationStopping only after StoppingAsync: not a second start.
        lifetime.StopApplication();

        time.Advance(Grace);
        await Eventually.TrueAsync(() => state.IsClosed, "the grace is over", TimeSpan.FromSeconds(5));
        await stopping.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task NoGrace_ClosesBeforeStopApplicationReturns()
    {
        var (drain, state, lifetime, _) = Create(TimeSpan.Zero);
        await drain.StartingAsync(TestContext.Current.CancellationToken);

        lifetime.StopApplication();

        Assert.True(state.IsClosed);
    }

    [Fact]
    public async Task HostShutdownTimeout_RunningOut_CutsTheGraceShort()
    {
        var (drain, state, _, _) = Create(Grace);
        await drain.StartingAsync(TestContext.Current.CancellationToken);
        using var timeout = new CancellationTokenSource();

        var stopping = drain.StoppingAsync(timeout.Token);
        await timeout.CancelAsync();

        await stopping.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.True(state.IsClosed);
    }

    [Theory]
    [InlineData("00:00:00", 31)]
    [InlineData("00:00:05", 36)]
    public void HostShutdownTimeout_IsRaisedByTheGraceAndTheDrain(string grace, int seconds)
    {
        // The host's own 30 s stays for what follows: open requests finishing.
        var app = BoshGateway.Hosting.GatewayApplication.Build(["--urls=http://127.0.0.1:0", $"--Gateway:ShutdownGrace={grace}"]);

        Assert.Equal(TimeSpan.FromSeconds(seconds), app.Services.GetRequiredService<IOptions<HostOptions>>().Value.ShutdownTimeout);
    }

    private static (ShutdownDrain Drain, DrainState State, ApplicationLifetime Lifetime, FakeTimeProvider Time) Create(TimeSpan grace)
    {
        var time = new FakeTimeProvider();
        var state = new DrainState();
        var lifetime = new ApplicationLifetime(NullLogger<ApplicationLifetime>.Instance);
        var options = Options.Create(new GatewayOptions { ShutdownGrace = grace });
        return (new ShutdownDrain(new SessionTable(), state, lifetime, options, time, NullLogger<ShutdownDrain>.Instance), state, lifetime, time);
    }
}
