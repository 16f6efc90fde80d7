namespace BoshGateway.Telemetry;

/// <summary>Stanzas and bytes relayed by all sessions of one transport, each way; added to with interlocked adds, read when metrics are collected.</summary>
public sealed class TrafficTotals
{
    private long _stanzasToServer;
    private long _bytesToServer;
    private long _stanzasToClient;
    private long _bytesToClient;

    public long StanzasToServer => Volatile.Read(ref _stanzasToServer);

    public long BytesToServer => Volatile.Read(ref _bytesToServer);

    public long StanzasToClient => Volatile.Read(ref _stanzasToClient);

    public long BytesToClient => Volatile.Read(ref _bytesToClient);

    public void AddToServer(int bytes, bool stanza)
    {
        Interlocked.Add(ref _bytesToServer, bytes);
        if (stanza)
        {
            Interlocked.Increment(ref _stanzasToServer);
        }
    }

    public void AddToClient(int bytes, bool stanza)
    {
        Interlocked.Add(ref _bytesToClient, bytes);
        if (stanza)
        {
            Interlocked.Increment(ref _stanzasToClient);
        }
    }
}
