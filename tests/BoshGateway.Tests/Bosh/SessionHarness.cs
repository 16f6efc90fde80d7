using System.Text;
using System.Xml.Linq;
using BoshGateway.Bosh;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Sessions;
using BoshGateway.Tests.Sessions;
using Microsoft.Extensions.Time.Testing;

namespace BoshGateway.Tests.Bosh;

/// <summary>A session on a fake clock and a fake backend, with helpers to send requests as a client would.</summary>
internal sealed class SessionHarness
{
    public const long FirstRid = 1000;

    public SessionHarness(int wait = 60, int hold = 1, bool acks = false, string? key = null, int inactivity = 60, int polling = 5, int limitPerAddress = 500, BoshGateway.Telemetry.GatewayMetrics? metrics = null, bool authenticated = true, BoshGateway.Configuration.GatewayOptions? options = null, long maxQueuedBytes = 1024 * 1024)
    {
        Parameters = new BoshSessionParameters("sid1", FirstRid, "localhost", "en", "1.11", wait, hold, inactivity, polling, 120, acks, key)
        {
            QueueFullTimeout = TimeSpan.FromSeconds(30),
            PreAuthTimeout = TimeSpan.FromSeconds(30),
            MaxQueuedBytes = maxQueuedBytes,
        };
        Clock = new WallClockOffset(Time);
        Lifecycle = TestLifecycle.Create(Clock, Logs, options: options, maxSessionsPerAddress: limitPerAddress, metrics: metrics);
        var info = Lifecycle.TryAdmit(SessionTransport.Bosh, System.Net.IPAddress.Loopback, "sid1").Info!;
        Session = new BoshSession(info, Parameters, Backend, Lifecycle, TimeSpan.FromSeconds(2), Lifecycle.CreateLogger<BoshSession>(info));
        Lifecycle.Add(Session);
        CreationBody = Session.Start();
        CreationResponse = XElement.Parse(Encoding.UTF8.GetString(CreationBody));
        if (authenticated)
        {
            // Most tests play a logged-in session: the server has said SASL success.
            Lifecycle.Authenticated(info);
        }
    }

    public BoshSessionParameters Parameters { get; }

    public FakeTimeProvider Time { get; } = new();

    /// <summary>The clock the session runs on: <see cref="Time"/>, with a wall clock that can jump on its own.</summary>
    public WallClockOffset Clock { get; }

    public FakeBackendLink Backend { get; } = new();

    public BoshSession Session { get; }

    public XElement CreationResponse { get; }

    /// <summary>The session creation response exactly as written (a replay of the creation rid must repeat it).</summary>
    public byte[] CreationBody { get; }

    public RecordingLoggerFactory Logs { get; } = new();

    public SessionLifecycle Lifecycle { get; }

    /// <summary>The reasons of the session's end lines (one per end, however many paths tried to end it).</summary>
    public List<SessionEndReason> EndedWith => Logs.EndReasons;

    /// <summary>True while the session is in the live table.</summary>
    public bool IsListed => Lifecycle.Table.TryGet("sid1", out _);

    public Pending Send(long rid, string children = "", string attributes = "", CancellationToken aborted = default)
    {
        var xml = $"<body rid='{rid}' sid='sid1' {attributes} xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'>{children}</body>";
        return new Pending(Session.HandleAsync(BoshBodyParser.Parse(Encoding.UTF8.GetBytes(xml)), aborted));
    }

    public void Advance(double seconds)
    {
        Time.Advance(TimeSpan.FromSeconds(seconds));
        Session.OnTick();
    }

    public static XElement Xml(byte[] body) => XElement.Parse(Encoding.UTF8.GetString(body));

    public static async Task<XElement> Answer(Pending pending)
    {
        Assert.True(pending.IsCompleted, "the request should have been answered");
        return Xml(await pending);
    }

    /// <summary>A request's answer as the HTTP layer sees it: completed the moment the session answers.</summary>
    public sealed class Pending(Task<BoshAnswer> answer)
    {
        public bool IsCompleted => answer.IsCompleted;

        public Task<BoshAnswer> Answer => answer;

        public System.Runtime.CompilerServices.TaskAwaiter<byte[]> GetAwaiter() => Body().GetAwaiter();

        private async Task<byte[]> Body() => (await answer).Body;
    }
}

/// <summary>
/// A fake clock whose wall clock (<see cref="TimeProvider.GetUtcNow"/>) can be set forward or back, as NTP or an operator
/// does, while the monotonic timestamps and timers go on undisturbed.
/// </summary>
internal sealed class WallClockOffset(FakeTimeProvider inner) : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => inner.GetUtcNow() + Offset;

    public override long GetTimestamp() => inner.GetTimestamp();

    public override long TimestampFrequency => inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) => inner.CreateTimer(callback, state, dueTime, period);
}
