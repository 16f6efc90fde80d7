using System.Net;
using System.Security.Cryptography;
using System.Text;
using BoshGateway.Bosh;
using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;
using BoshGateway.Sessions;
using BoshGateway.Telemetry;
using BoshGateway.Tests.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace BoshGateway.Fuzz.Targets;

/// <summary>
/// <c>bosh-session</c>: the XEP-0124 state machine (<see cref="BoshSession"/>) on a fake clock and a fake backend
/// (the tests' <see cref="FakeBackendLink"/>), driven by a byte-coded sequence of operations.
/// </summary>
/// <remarks>
/// Byte 0 sets the session up: bits 0-1 hold (0-3), bit 2 polling (wait 0), bit 3 acks, bit 4 keys, bit 5 not yet
/// authenticated, bit 6 a small outbox (<c>MaxQueuedBytes</c> 600). Then each byte is an operation, low nibble the kind
/// (taken modulo the number of kinds), high nibble its argument; some read one more byte:
/// <list type="bullet">
/// <item>0, 1 send a request, rid = next + arg - 3; a flags byte follows: 1 ack (byte: how far back; 255 = not a
/// number), 2 pause (byte: seconds), 4 terminate, 8 restart, 16 the right key, 32 a wrong key, 64 a stanza from a
/// table (byte: which), 128 raw bytes as payload (byte: how many).</item>
/// <item>2 the same, on a request that can be aborted later.</item>
/// <item>3 advance the clock (arg picks from 1 ms to 5 min) and tick; 4 tick only.</item>
/// <item>5 the server sends an element from a table (arg); 6 the server sends raw bytes (byte: how many);
/// 7 the server restarts its stream; 8 the server closes (arg odd: with an error).</item>
/// <item>9 the client gives up on an abortable request (arg picks which).</item>
/// </list>
/// Checked: unexpected exceptions; every answer a well-formed body; every element sent to the server one
/// well-formed element; and, after the clock is run far past every timeout, no request left unanswered.
/// </remarks>
public static class BoshSessionTarget
{
    private const long FirstRid = 1000;
    private const int KeyChain = 64;

    private static readonly string[] Keys = BuildKeys();
    private static readonly double[] Seconds = [0.001, 0.5, 1, 2, 4.9, 5, 29, 31, 59.5, 60.5, 61, 119, 121, 150, 300, 3600];

    private static readonly string[] ClientPayloads =
    [
        "<message to='bob@localhost' type='chat'><body>hi</body></message>",
        "<iq type='set' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>r</resource></bind></iq>",
        "<presence/>",
        "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>AGEAYg==</auth>",
        "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>",
        "<message xmlns='jabber:server' to='bob@localhost'/>",
        "<enable xmlns='urn:xmpp:sm:3' resume='true'/>",
        "<r xmlns='urn:xmpp:sm:3'/>",
        "<a xmlns='urn:xmpp:sm:3' h='1'/>",
        "<stream:features/>",
        "<foo xmlns='urn:example'/>",
        "<message><body>&lt;&amp;&#x10FFFF;<![CDATA[]]>]]&gt;</body></message><message/>",
        "<iq type='get' id='p'><ping xmlns='urn:xmpp:ping'/></iq>",
        "<inactive xmlns='urn:xmpp:csi:0'/>",
        "<message to='bob@localhost'><body>" + new string('x', 700) + "</body></message>",
        "",
    ];

    private static readonly string[] ServerElements =
    [
        "<message from='bob@localhost' type='chat'><body>hi</body></message>",
        "<success xmlns='urn:ietf:params:xml:ns:xmpp-sasl'/>",
        "<iq type='result' id='b'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><jid>a@localhost/r</jid></bind></iq>",
        "<presence from='bob@localhost/x'/>",
        "<stream:features><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'/><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/></stream:features>",
        "<enabled xmlns='urn:xmpp:sm:3' id='s' resume='true' location='evil.example:5222'/>",
        "<stream:error><conflict xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>",
        "<r xmlns='urn:xmpp:sm:3'/>",
        "<a xmlns='urn:xmpp:sm:3' h='3'/>",
        "<message from='bob@localhost'><body>" + new string('y', 900) + "</body></message>",
        "<failure xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><not-authorized/></failure>",
        "<success xmlns='urn:xmpp:sasl:2'><authorization-identifier>a@localhost/r</authorization-identifier></success>",
        "<iq type='get' id='q' from='localhost'><ping xmlns='urn:xmpp:ping'/></iq>",
        "<message from='bob@localhost'><x xmlns:stream='urn:other'><stream:y/></x></message>",
        "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>SCRAM-SHA-1-PLUS</mechanism></mechanisms></stream:features>",
        "<presence type='unavailable'/>",
    ];

    private static readonly byte[] RestartHeader = "<?xml version='1.0'?><stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='sid-2' from='localhost' version='1.0'>"u8.ToArray();

    public static void Run(byte[] input) => new Play(input).Run();

    private static string[] BuildKeys()
    {
        // XEP-0124 §15: K(n) = hex(SHA-1(K(n-1))); the client announces K(n) and then sends K(n-1), K(n-2)...
        var keys = new string[KeyChain + 1];
        keys[0] = "fuzz-seed";
        for (var i = 1; i <= KeyChain; i++)
        {
            keys[i] = Convert.ToHexStringLower(SHA1.HashData(Encoding.ASCII.GetBytes(keys[i - 1])));
        }
        return keys;
    }

    private sealed class Play(byte[] input)
    {
        private int _at;
        private readonly List<(long Rid, Task<BoshAnswer> Answer)> _requests = [];
        private readonly List<CancellationTokenSource> _abortable = [];
        private bool _serverDead;

        private byte Next() => _at < input.Length ? input[_at++] : (byte)0;

        public void Run()
        {
            var setup = Next();
            var hold = setup & 3;
            var polling = (setup & 4) != 0;
            var acks = (setup & 8) != 0;
            var keys = (setup & 16) != 0;
            var preAuth = (setup & 32) != 0;
            var smallOutbox = (setup & 64) != 0;

            var time = new FakeTimeProvider();
            var options = new GatewayOptions();
            var wrapped = Options.Create(options);
            // A meter factory per input, disposed with it: a lifecycle registers its gauges on its meter, and one meter shared
            // by every input of a persistent AFL process kept every lifecycle (and its session) alive, slowing each input
            // more than the one before (from 830 to 87 executions a second within five minutes).
            using var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
            var metrics = new GatewayMetrics(meters.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
            var lifecycle = new SessionLifecycle(new SessionTable(), new InMemorySessionDirectory(), new ClientAddressLimiter(wrapped, time), new FakeConnector(), wrapped, metrics, time, FormattingLoggerFactory.Instance);
            var parameters = new BoshSessionParameters("sid1", FirstRid, "localhost", "en", "1.11", polling ? 0 : 60, hold, 60, 5, 120, acks, keys ? Keys[KeyChain] : null)
            {
                QueueFullTimeout = TimeSpan.FromSeconds(30),
                PreAuthTimeout = TimeSpan.FromSeconds(30),
                MaxQueuedBytes = smallOutbox ? 600 : 1024 * 1024,
            };
            var info = lifecycle.TryAdmit(SessionTransport.Bosh, IPAddress.Loopback, "sid1").Info!;
            var backend = new FakeBackendLink();
            var session = new BoshSession(info, parameters, backend, lifecycle, TimeSpan.FromSeconds(2), lifecycle.CreateLogger<BoshSession>(info));
            lifecycle.Add(session);
            Wellformed.Document(session.Start(), "the session creation response");
            if (!preAuth)
            {
                lifecycle.Authenticated(info);
            }

            var nextRid = FirstRid + 1;
            var keyIndex = KeyChain - 1;
            while (_at < input.Length)
            {
                var op = Next();
                var arg = op >> 4;
                switch ((op & 0x0F) % 10)
                {
                    case 0:
                    case 1:
                    case 2:
                        var rid = nextRid + arg - 3;
                        nextRid = Math.Max(nextRid, rid + 1);
                        Send(session, rid, Next(), abortable: (op & 0x0F) % 10 == 2, ref keyIndex);
                        break;
                    case 3:
                        time.Advance(TimeSpan.FromSeconds(Seconds[arg]));
                        session.OnTick();
                        break;
                    case 4:
                        session.OnTick();
                        break;
                    case 5:
                        FromServer(session, backend, Encoding.UTF8.GetBytes(ServerElements[arg]));
                        break;
                    case 6:
                        var length = Math.Min(Next(), input.Length - _at);
                        FromServer(session, backend, input.AsSpan(_at, length));
                        _at += length;
                        break;
                    case 7:
                        FromServer(session, backend, RestartHeader);
                        break;
                    case 8:
                        if (!_serverDead)
                        {
                            _serverDead = true;
                            backend.ServerClosed((arg & 1) != 0 ? new IOException("connection reset") : null);
                        }
                        break;
                    default:
                        if (_abortable.Count > 0)
                        {
                            _abortable[arg % _abortable.Count].Cancel();
                        }
                        break;
                }
                Collect();
            }

            // Past every timeout (wait, inactivity, maxpause, pre-auth, queue-full): every request must have its answer.
            for (var i = 0; i < 12; i++)
            {
                time.Advance(TimeSpan.FromSeconds(60));
                session.OnTick();
            }
            Collect();
            foreach (var (rid, answer) in _requests)
            {
                if (!answer.IsCompleted)
                {
                    throw new FuzzFindingException($"request rid {rid} was never answered (session ended: {lifecycle.Table.TryGet("sid1", out _) is false})");
                }
            }
            foreach (var cts in _abortable)
            {
                cts.Dispose();
            }
            foreach (var sent in backend.Sent)
            {
                if (sent.StartsWith("</stream:stream>", StringComparison.Ordinal))
                {
                    continue;
                }
                Wellformed.AsServerSees(Encoding.UTF8.GetBytes(sent), "an element sent to the server");
            }
        }

        private void Send(BoshSession session, long rid, byte flags, bool abortable, ref int keyIndex)
        {
            var attributes = new StringBuilder();
            if ((flags & 1) != 0)
            {
                var back = Next();
                attributes.Append(back == 255 ? " ack='x'" : $" ack='{Math.Max(0, rid - 1 - (back & 7))}'");
            }
            if ((flags & 2) != 0)
            {
                attributes.Append($" pause='{Next()}'");
            }
            if ((flags & 4) != 0)
            {
                attributes.Append(" type='terminate'");
            }
            if ((flags & 8) != 0)
            {
                attributes.Append(" xmpp:restart='true'");
            }
            if ((flags & 16) != 0 && keyIndex >= 0)
            {
                attributes.Append($" key='{Keys[keyIndex--]}'");
            }
            if ((flags & 32) != 0)
            {
                attributes.Append(" key='00'");
            }
            var children = (flags & 64) != 0 ? ClientPayloads[Next() % ClientPayloads.Length] : "";
            var prefix = Encoding.UTF8.GetBytes($"<body rid='{rid}' sid='sid1'{attributes} xmlns='http://jabber.org/protocol/httpbind' xmlns:xmpp='urn:xmpp:xbosh'>{children}");
            var raw = ReadOnlySpan<byte>.Empty;
            if ((flags & 128) != 0)
            {
                var length = Math.Min(Next(), input.Length - _at);
                raw = input.AsSpan(_at, length);
                _at += length;
            }
            byte[] xml = [.. prefix, .. raw, .. "</body>"u8];
            BoshBody body;
            try
            {
                body = BoshBodyParser.Parse(xml);
            }
            catch (Exception ex) when (Oracle.IsExpected(ex))
            {
                return; // the endpoint answers it; the session never sees it
            }
            var cts = abortable ? new CancellationTokenSource() : null;
            if (cts is not null)
            {
                _abortable.Add(cts);
            }
            try
            {
                _requests.Add((rid, session.HandleAsync(body, cts?.Token ?? CancellationToken.None)));
                _unanswered.Add(_requests.Count - 1);
            }
            catch (BoshProtocolException)
            {
                // A malformed ack or pause: the endpoint answers it with a terminate body.
            }
        }

        private void FromServer(BoshSession session, FakeBackendLink backend, ReadOnlySpan<byte> bytes)
        {
            if (_serverDead)
            {
                return;
            }
            try
            {
                backend.Server(bytes);
            }
            catch (XmlStreamException ex)
            {
                // What BackendConnection's read loop does with a broken server stream.
                _serverDead = true;
                session.OnBackendClosed(ex);
            }
        }

        /// <summary>
        /// Answers as the endpoint takes them: checked, and marked written so the next may go. Only the
        /// requests not yet answered are looked at, so an input of thousands of requests stays linear.
        /// </summary>
        private void Collect()
        {
            var kept = 0;
            for (var i = 0; i < _unanswered.Count; i++)
            {
                var index = _unanswered[i];
                var (rid, answer) = _requests[index];
                if (answer.IsFaulted)
                {
                    throw new FuzzFindingException($"the answer to rid {rid} faulted", answer.Exception!.InnerException!);
                }
                if (!answer.IsCompletedSuccessfully)
                {
                    _unanswered[kept++] = index;
                    continue;
                }
                if (answer.Result is { } done && _checked.Add(done))
                {
                    Wellformed.Document(done.Body, $"the answer to rid {rid}");
                    done.MarkWritten(TimeProvider.System);
                }
            }
            _unanswered.RemoveRange(kept, _unanswered.Count - kept);
        }

        private readonly HashSet<BoshAnswer> _checked = new(ReferenceEqualityComparer.Instance);
        private readonly List<int> _unanswered = [];
    }

    /// <summary>Every log line is formatted (so message templates and their arguments are exercised) and dropped.</summary>
    private sealed class FormattingLoggerFactory : ILoggerFactory, ILogger
    {
        public static readonly FormattingLoggerFactory Instance = new();

        public ILogger CreateLogger(string categoryName) => this;

        public void AddProvider(ILoggerProvider provider)
        {
        }

        public void Dispose()
        {
        }

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => _ = formatter(state, exception);
    }
}
