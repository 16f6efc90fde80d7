using System.Diagnostics;
using System.Text;
using BoshGateway.Backend;
using BoshGateway.Configuration;
using BoshGateway.Protocol.Xml;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static BoshGateway.Tests.Backend.ScriptedXmppServer;

namespace BoshGateway.Tests.Backend;

/// <summary>The real connector and connection against scripted, misbehaving servers on loopback.</summary>
public class BackendConnectorTests
{
    private const string Header = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='localhost' version='1.0'>";
    private const string Features = "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>";

    private static BackendTarget Target(int port, BackendTlsMode tls = BackendTlsMode.Auto) =>
        new("localhost", "127.0.0.1", port, tls, "localhost", false, [], TimeSpan.FromSeconds(5));

    private static BackendConnector Connector(XmlLimits? limits = null, TimeSpan? keepAlive = null)
    {
        var options = new GatewayOptions { Limits = limits ?? new XmlLimits() };
        options.Backends.KeepAliveInterval = keepAlive ?? TimeSpan.FromSeconds(60);
        return BackendTestConnectors.Create(options);
    }

    [Fact]
    public async Task IdleStream_GetsAWhitespaceKeepAlive_OnlyWhenIdle()
    {
        // Long enough that no stall on a loaded machine makes the first call look idle, short enough to wait for.
        var interval = TimeSpan.FromSeconds(3);
        var received = new StringBuilder();
        var arrived = new SemaphoreSlim(0);
        await using var server = new ScriptedXmppServer(async stream =>
        {
            await ReadSomeAsync(stream);
            await WriteAsync(stream, Header + Features);
            // Everything the connection writes after the handshake, as it comes. Each write is answered (with
            // white space), as a server answers every step of a client that is not bound yet: an unanswered
            // one would be a hung server, which gets no keepalive but a deadline.
            while (await ReadSomeAsync(stream) is { Length: > 0 } text)
            {
                lock (received)
                {
                    received.Append(text);
                }
                await WriteAsync(stream, " ");
                arrived.Release();
            }
        });
        string Received()
        {
            lock (received)
            {
                return received.ToString();
            }
        }
        async Task WaitForAsync(Func<string, bool> condition, Action? poke = null)
        {
            var deadline = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 15;
            while (!condition(Received()))
            {
                Assert.True(Stopwatch.GetTimestamp() < deadline, $"the server received only '{Received()}'");
                poke?.Invoke();
                await arrived.WaitAsync(TimeSpan.FromMilliseconds(100), TestContext.Current.CancellationToken);
            }
        }
        var connecting = Stopwatch.GetTimestamp(); // before the connection exists, so before its idle clock starts
        var link = await Connector(keepAlive: interval).ConnectAsync(Target(server.Port), null, TestContext.Current.CancellationToken);
        link.Start(new RecordingEvents());

        // Not idle (just connected): nothing may be written. The stanza sent next shows what was.
        link.KeepAlive();
        var calledAfter = Stopwatch.GetElapsedTime(connecting);
        var sent = Stopwatch.GetTimestamp();
        link.Send("<a/>"u8.ToArray());
        await WaitForAsync(text => text.Contains("<a/>", StringComparison.Ordinal));
        Assert.True(calledAfter < interval, $"premise: KeepAlive was called {calledAfter} after connecting, not within {interval}");
        Assert.Equal("<a/>", Received());

        // Asked again and again: the space comes once the stream has been quiet for the interval, not before.
        await WaitForAsync(text => text.Contains(' ', StringComparison.Ordinal), link.KeepAlive);
        var quiet = Stopwatch.GetElapsedTime(sent);
        Assert.True(quiet >= interval - TimeSpan.FromMilliseconds(50), $"keepalive after only {quiet} of quiet");
        Assert.Equal("<a/>", Received().TrimEnd(' '));
        link.Abort();
    }

    [Fact]
    public async Task ServerClosingMidStanza_ReportsAFailure_AndDeliversOnlyCompleteElements()
    {
        await using var server = new ScriptedXmppServer(async stream =>
        {
            await ReadSomeAsync(stream);
            await WriteAsync(stream, Header + Features);
            await ReadSomeAsync(stream); // the first stanza from the session
            await WriteAsync(stream, "<message id='complete'/><message id='cut'><body>half");
        });
        var link = await Connector().ConnectAsync(Target(server.Port), "en", TestContext.Current.CancellationToken);
        var events = new RecordingEvents();
        link.Start(events);
        link.Send("<presence/>"u8.ToArray());

        var failure = await events.Closed.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);

        Assert.NotNull(failure);
        Assert.Contains("middle of an element", failure!.Message, StringComparison.Ordinal);
        Assert.Equal(["features", "message"], events.Elements.Select(e => e.LocalName));
        Assert.Equal("complete", events.Elements[1].GetAttribute("id"));
    }

    [Fact]
    public async Task StreamErrorDuringHandshake_IsReportedWithTheError()
    {
        await using var server = new ScriptedXmppServer(async stream =>
        {
            await ReadSomeAsync(stream);
            await WriteAsync(stream, Header + "<stream:error><host-unknown xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error></stream:stream>");
        });
        var ex = await Assert.ThrowsAsync<BackendConnectException>(() => Connector().ConnectAsync(Target(server.Port), null, TestContext.Current.CancellationToken));
        Assert.NotNull(ex.StreamError);
        var error = System.Xml.Linq.XElement.Parse(Encoding.UTF8.GetString(ex.StreamError!.Value.Span));
        Assert.Equal(System.Xml.Linq.XName.Get("error", XmlNames.Streams), error.Name);
        Assert.NotNull(error.Element(System.Xml.Linq.XName.Get("host-unknown", XmlNames.StreamErrors)));
    }

    [Fact]
    public async Task HostileServer_HugeStanza_FailsTheStreamWithoutBufferingIt()
    {
        await using var server = new ScriptedXmppServer(async stream =>
        {
            await ReadSomeAsync(stream);
            await WriteAsync(stream, Header + Features);
            await WriteAsync(stream, "<message><body>");
            var chunk = Encoding.UTF8.GetBytes(new string('x', 64 * 1024));
            for (var i = 0; i < 64; i++)
            {
                await stream.WriteAsync(chunk);
            }
        });
        var link = await Connector(new XmlLimits { MaxElementBytes = 64 * 1024 }).ConnectAsync(Target(server.Port), null, TestContext.Current.CancellationToken);
        var events = new RecordingEvents();
        link.Start(events);
        var failure = await events.Closed.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        var xml = Assert.IsType<XmlStreamException>(failure);
        Assert.Equal(XmlStreamError.PolicyViolation, xml.Error);
    }

    // robustness A15: what a hostile or broken server sends after its features goes through the same reader and limits
    // as a client's input: the stream fails with the reader's error, and nothing of it is delivered.
    public static TheoryData<string, XmlStreamError> HostileServerInput => new()
    {
        { "<!DOCTYPE lolz [<!ENTITY lol 'lol'><!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>]>", XmlStreamError.RestrictedXml },
        { "<message><body>&lol2;</body></message>", XmlStreamError.RestrictedXml },
        { "<message><!-- a comment --></message>", XmlStreamError.RestrictedXml },
        { "<?processing instruction?>", XmlStreamError.RestrictedXml },
        { "<message><body>unclosed</message>", XmlStreamError.NotWellFormed },
        { "<message to='" + new string('x', 100_000) + "'/>", XmlStreamError.PolicyViolation },
        { "<message>" + string.Concat(Enumerable.Repeat("<a>", 1000)), XmlStreamError.PolicyViolation },
    };

    [Theory]
    [MemberData(nameof(HostileServerInput))]
    public async Task HostileServer_BadXmlAfterFeatures_FailsTheStream_NothingDelivered(string hostile, XmlStreamError expected)
    {
        await using var server = new ScriptedXmppServer(async stream =>
        {
            await ReadSomeAsync(stream);
            await WriteAsync(stream, Header + Features);
            await WriteAsync(stream, hostile);
            await ReadSomeAsync(stream);
        });
        // The bad bytes may arrive with the features (the connect fails) or after them (the started stream fails): the
        // same reader judges them either way.
        var events = new RecordingEvents();
        Exception? failure;
        try
        {
            var link = await Connector(new XmlLimits { MaxElementBytes = 64 * 1024 }).ConnectAsync(Target(server.Port), null, TestContext.Current.CancellationToken);
            link.Start(events);
            failure = await events.Closed.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        }
        catch (BackendConnectException ex)
        {
            failure = ex.InnerException;
        }
        Assert.Equal(expected, Assert.IsType<XmlStreamException>(failure).Error);
        Assert.DoesNotContain(events.Elements, e => e.LocalName == "message");
    }

    [Fact]
    public async Task HostileServer_EndlessWhitespace_IsNotBuffered_AndTheNextStanzaArrives()
    {
        // 8 MiB of white space between stanzas (a keep-alive gone wild) is far past the 64 KiB element limit: it is
        // skipped as it comes, never counted as an element, and the stanza after it is delivered.
        await using var server = new ScriptedXmppServer(async stream =>
        {
            await ReadSomeAsync(stream);
            await WriteAsync(stream, Header + Features);
            var spaces = Encoding.ASCII.GetBytes(new string(' ', 64 * 1024));
            for (var i = 0; i < 128; i++)
            {
                await stream.WriteAsync(spaces);
            }
            await WriteAsync(stream, "<message id='after-the-spaces'/>");
            await ReadSomeAsync(stream);
        });
        var link = await Connector(new XmlLimits { MaxElementBytes = 64 * 1024 }).ConnectAsync(Target(server.Port), null, TestContext.Current.CancellationToken);
        var events = new RecordingEvents();
        link.Start(events);
        var message = await events.FirstMessage.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.Equal("after-the-spaces", message.GetAttribute("id"));
        Assert.False(events.Closed.Task.IsCompleted);
        link.Abort();
    }

    [Fact]
    public async Task ServerRequiringTls_WithTlsNone_IsRefused()
    {
        await using var server = new ScriptedXmppServer(async stream =>
        {
            await ReadSomeAsync(stream);
            await WriteAsync(stream, Header + "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>");
            await ReadSomeAsync(stream);
        });
        await Assert.ThrowsAsync<BackendConnectException>(() => Connector().ConnectAsync(Target(server.Port, BackendTlsMode.None), null, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task NothingListening_FailsWithConnectException()
    {
        int port;
        using (var probe = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((System.Net.IPEndPoint)probe.LocalEndpoint).Port;
        }
        await Assert.ThrowsAsync<BackendConnectException>(() => Connector().ConnectAsync(Target(port), null, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task SilentServer_TimesOutWithinTheConnectTimeout()
    {
        var done = new TaskCompletionSource();
        await using var server = new ScriptedXmppServer(async stream =>
        {
            await ReadSomeAsync(stream); // the stream header, never answered
            await done.Task;
        });
        var target = Target(server.Port) with { ConnectTimeout = TimeSpan.FromMilliseconds(300) };
        var clock = Stopwatch.StartNew();
        var ex = await Assert.ThrowsAsync<BackendConnectException>(() => Connector().ConnectAsync(target, null, TestContext.Current.CancellationToken));
        done.SetResult();

        Assert.True(ex.TimedOut, ex.Message);
        Assert.Contains("timed out", ex.Message, StringComparison.Ordinal);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(10), clock.Elapsed.ToString());
    }

    [Fact]
    public async Task CallerLeavingDuringTheHandshake_IsACancellation_NotAServerFailure()
    {
        var done = new TaskCompletionSource();
        var headerRead = new TaskCompletionSource();
        await using var server = new ScriptedXmppServer(async stream =>
        {
            await ReadSomeAsync(stream);
            headerRead.SetResult();
            await done.Task;
        });
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        var connect = Connector().ConnectAsync(Target(server.Port), null, caller.Token);
        await headerRead.Task.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        await caller.CancelAsync();

        var ex = await Assert.ThrowsAnyAsync<OperationCanceledException>(() => connect);
        done.SetResult();
        Assert.Equal(caller.Token, ex.CancellationToken);
    }

    [Fact]
    public async Task AnOpenStream_DoesNotKeepTheCallersTokenSourceAlive()
    {
        // The handshake's reads wait on the socket; a token passed to them would stay referenced by the socket's
        // cached read operation, and through the connect deadline's linked source, the caller's, for the whole
        // session (a few hundred bytes per idle session).
        var done = new TaskCompletionSource();
        await using var server = new ScriptedXmppServer(async stream =>
        {
            await ReadSomeAsync(stream);
            await Task.Delay(50); // so the gateway's read has to wait
            await WriteAsync(stream, Header + Features);
            await done.Task;
        });
        var (link, callerSource) = await ConnectWithOwnTokenSourceAsync(server.Port);
        await Task.Yield(); // off the helper's completion, which still holds its locals while it runs this continuation
        for (var i = 0; i < 3 && callerSource.IsAlive; i++)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
        }

        Assert.False(callerSource.IsAlive);
        link.Abort();
        done.SetResult();
    }

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    private static async Task<(IBackendLink Link, WeakReference Source)> ConnectWithOwnTokenSourceAsync(int port)
    {
        var source = new CancellationTokenSource();
        var link = await Connector().ConnectAsync(Target(port), null, source.Token);
        return (link, new WeakReference(source));
    }

    private sealed class RecordingEvents : IBackendEvents
    {
        public List<XmlElement> Elements { get; } = [];

        public TaskCompletionSource<Exception?> Closed { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnBackendHeader(XmlStreamHeader header)
        {
        }

        public TaskCompletionSource<XmlElement> FirstMessage { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void OnBackendElement(XmlElement element, IReadOnlyDictionary<string, string> streamNamespaces)
        {
            Elements.Add(element);
            if (element.LocalName == "message")
            {
                FirstMessage.TrySetResult(element);
            }
        }

        public void OnBackendClosed(Exception? failure) => Closed.TrySetResult(failure);
    }
}
