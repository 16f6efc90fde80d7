using System.Text;
using BoshGateway.Backend;
using BoshGateway.Protocol.Xml;

namespace BoshGateway.Tests.Sessions;

/// <summary>Records what a session writes to its backend and lets a test play the server's part.</summary>
internal sealed class FakeBackendLink : IBackendLink, IXmlStreamHandler
{
    private const string Header = "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' id='sid-1' from='localhost' version='1.0'>";
    private IBackendEvents? _events;
    private readonly XmlStreamReader _reader;
    private XmlStreamHeader? _header;

    public FakeBackendLink() => _reader = new XmlStreamReader(this, allowRestart: true);

    private readonly List<string> _sent = [];

    /// <summary>What the session wrote, in order (a copy: sessions may write from the thread pool while a test reads).</summary>
    public List<string> Sent
    {
        get
        {
            lock (_sent)
            {
                return [.. _sent];
            }
        }
    }

    public int Restarts { get; private set; }

    public bool Closed { get; private set; }

    public bool Aborted { get; private set; }

    public bool IsSecure => true;

    public void Start(IBackendEvents events)
    {
        _events = events;
        Server(Header + "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'><mechanism>PLAIN</mechanism></mechanisms></stream:features>");
    }

    public void Send(ReadOnlyMemory<byte> data) => Record(data);

    private void Record(ReadOnlyMemory<byte> data)
    {
        lock (_sent)
        {
            _sent.Add(Encoding.UTF8.GetString(data.Span));
        }
    }

    private TaskCompletionSource _room = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>True while the "server" is behind: the queue toward it has no room.</summary>
    public bool Full { get; set; }

    public bool HasRoomFor(int bytes) => !Full || Aborted;

    public Task WaitForRoomAsync(int bytes) => HasRoomFor(bytes) ? Task.CompletedTask : _room.Task;

    /// <summary>The "server" caught up.</summary>
    public void Drain()
    {
        Full = false;
        Interlocked.Exchange(ref _room, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    public void Restart(string? language) => Restarts++;

    /// <summary>True while the session asked not to be given more (its client is behind).</summary>
    public bool ReadingPaused { get; private set; }

    public int Pauses { get; private set; }

    public void PauseReading()
    {
        Pauses += ReadingPaused ? 0 : 1;
        ReadingPaused = true;
    }

    public void ResumeReading() => ReadingPaused = false;

    public int KeepAlives { get; private set; }

    public void KeepAlive() => KeepAlives++;

    public void Close() => Closed = true;

    public void Abort()
    {
        Aborted = true;
        _room.TrySetResult();
    }

    public void AbortAfter(IReadOnlyList<ReadOnlyMemory<byte>> lastWrites)
    {
        foreach (var data in lastWrites)
        {
            Record(data);
        }
        Aborted = true;
    }

    /// <summary>Bytes "from the server".</summary>
    public void Server(string xml) => _reader.Feed(Encoding.UTF8.GetBytes(xml));

    /// <summary>Raw bytes "from the server" (the fuzzer's); throws what the backend's reader throws.</summary>
    public void Server(ReadOnlySpan<byte> bytes) => _reader.Feed(bytes);

    public void ServerClosed(Exception? error) => _events!.OnBackendClosed(error);

    void IXmlStreamHandler.OnStreamHeader(XmlStreamHeader header)
    {
        _header = header;
        _events!.OnBackendHeader(header);
    }

    void IXmlStreamHandler.OnElement(XmlElement element) => _events!.OnBackendElement(element, _header!.Namespaces);

    void IXmlStreamHandler.OnStreamEnd() => _events!.OnBackendClosed(null);
}
