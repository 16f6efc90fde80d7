using System.Text;
using BenchmarkDotNet.Attributes;
using BoshGateway.Backend;
using BoshGateway.Bosh;
using BoshGateway.Configuration;
using BoshGateway.Http;
using BoshGateway.Protocol.Bosh;
using BoshGateway.Protocol.Xml;
using BoshGateway.Sessions;
using BoshGateway.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace BoshGateway.Benchmarks;

/// <summary>
/// The session table and one BOSH session's per-request work, as a chat message in each direction
/// costs it: look the sid up among 8,000 sessions, parse the request body, hand its stanza to the
/// backend, hold the request, answer it with a stanza read from the backend stream.
/// </summary>
[MemoryDiagnoser]
public class BoshSessionBenchmarks
{
    private const int Sessions = 8000;
    private const int Lookups = 1000;
    private readonly SessionTable _table = new();
    private SessionLifecycle _lifecycle = null!;
    private string[] _sids = [];
    private BoshSession _session = null!;
    private LoopbackLink _link = null!;
    private byte[] _emptyRequest = [];
    private byte[] _messageRequest = [];
    private byte[] _serverMessage = [];
    private long _rid;

    [GlobalSetup]
    public void Setup()
    {
        var options = Options.Create(new GatewayOptions { MaxSessionsPerClientAddress = int.MaxValue });
        _lifecycle = new SessionLifecycle(_table, new InMemorySessionDirectory(), new ClientAddressLimiter(options, TimeProvider.System), new NoConnector(), options,
            new GatewayMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()), TimeProvider.System, NullLoggerFactory.Instance);
        _sids = new string[Sessions];
        for (var i = 0; i < Sessions; i++)
        {
            var session = NewSession(SessionId.New(), new LoopbackLink());
            _lifecycle.Add(session);
            _sids[i] = session.Sid;
        }
        _link = new LoopbackLink();
        _session = NewSession("bench", _link);
        _rid = 1_000_000_000_001;
        _emptyRequest = Encoding.UTF8.GetBytes("<body rid='0000000000000' sid='bench' xmlns='http://jabber.org/protocol/httpbind'/>");
        _messageRequest = Encoding.UTF8.GetBytes("<body rid='0000000000000' sid='bench' xmlns='http://jabber.org/protocol/httpbind'><message xmlns='jabber:client' to='bob@example.org' type='chat' id='m1'><body>Hello Bob, how are you today?</body></message></body>");
        _serverMessage = Encoding.UTF8.GetBytes("<message from='bob@example.org/web' to='alice@example.org/web' type='chat' id='m2'><body>Fine, thanks, and you?</body><active xmlns='http://jabber.org/protocol/chatstates'/></message>");
        _ = _session.HandleAsync(BoshBodyParser.Parse(WithRid(_emptyRequest)), CancellationToken.None); // held from now on
    }

    private BoshSession NewSession(string sid, LoopbackLink link)
    {
        var info = _lifecycle.TryAdmit(SessionTransport.Bosh, null, sid).Info!;
        var session = new BoshSession(info, new BoshSessionParameters(sid, 1_000_000_000_000, "example.org", "en", "1.11", 60, 1, 60, 5, 120, false, null),
            link, _lifecycle, TimeSpan.FromSeconds(2), NullLogger.Instance);
        session.Start();
        return session;
    }

    [Benchmark(OperationsPerInvoke = Lookups)]
    public int LookUpAmong8000()
    {
        var found = 0;
        for (var i = 0; i < Lookups; i++)
        {
            found += _table.TryGet(_sids[(i * 7919) % Sessions], out _) ? 1 : 0;
        }
        return found;
    }

    /// <summary>Client → server: a request carrying a message releases the held one and is held itself.</summary>
    [Benchmark]
    public bool MessageFromClient()
    {
        var answer = _session.HandleAsync(BoshBodyParser.Parse(WithRid(_messageRequest)), CancellationToken.None);
        return answer.IsCompleted;
    }

    /// <summary>Server → client: a stanza read from the backend answers the held request, and a new empty one is held.</summary>
    [Benchmark]
    public int MessageToClient()
    {
        _link.FromServer(_serverMessage);
        var held = _session.HandleAsync(BoshBodyParser.Parse(WithRid(_emptyRequest)), CancellationToken.None);
        return held.IsCompleted ? 1 : 0;
    }

    /// <summary>Writes the next rid (13 digits) into the template in place.</summary>
    private byte[] WithRid(byte[] template)
    {
        var rid = _rid++;
        for (var i = 23; i >= 11; i--, rid /= 10)
        {
            template[i] = (byte)('0' + (rid % 10));
        }
        return template;
    }

    /// <summary>A backend that is already past its handshake: what the session sends goes nowhere; the test plays the server.</summary>
    private sealed class LoopbackLink : IBackendLink, IXmlStreamHandler
    {
        private readonly XmlStreamReader _reader;
        private IBackendEvents? _events;
        private XmlStreamHeader? _header;

        public LoopbackLink() => _reader = new XmlStreamReader(this, allowRestart: true);

        public bool IsSecure => true;

        public void Start(IBackendEvents events)
        {
            _events = events;
            FromServer("<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='s1' from='example.org' version='1.0'><stream:features/>"u8.ToArray());
        }

        public void FromServer(byte[] xml) => _reader.Feed(xml);

        public void Send(ReadOnlyMemory<byte> data)
        {
        }

        public bool HasRoomFor(int bytes) => true;

        public Task WaitForRoomAsync(int bytes) => Task.CompletedTask;

        public void Restart(string? language)
        {
        }

        public void PauseReading()
        {
        }

        public void ResumeReading()
        {
        }

        public void KeepAlive()
        {
        }

        public void Close()
        {
        }

        public void Abort()
        {
        }

        public void AbortAfter(IReadOnlyList<ReadOnlyMemory<byte>> lastWrites)
        {
        }

        void IXmlStreamHandler.OnStreamHeader(XmlStreamHeader header)
        {
            _header = header;
            _events!.OnBackendHeader(header);
        }

        void IXmlStreamHandler.OnElement(XmlElement element) => _events!.OnBackendElement(element, _header!.Namespaces);

        void IXmlStreamHandler.OnStreamEnd() => _events!.OnBackendClosed(null);
    }

    /// <summary>Sessions here get their links directly; nothing dials.</summary>
    private sealed class NoConnector : IBackendConnector
    {
        public Task<IBackendLink> ConnectAsync(BackendTarget target, string? language, CancellationToken cancellationToken) => throw new InvalidOperationException("not used");
    }
}
