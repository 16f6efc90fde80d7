namespace BoshGateway.Backend;

/// <summary>The session's handle on its backend stream. Calls never block; writes are queued in order.</summary>
public interface IBackendLink
{
    /// <summary>True when the gateway's link to the server is encrypted or on loopback.</summary>
    bool IsSecure { get; }

    /// <summary>Starts delivering events (first those read during the handshake).</summary>
    void Start(IBackendEvents events);

    /// <summary>Queues bytes for the server.</summary>
    void Send(ReadOnlyMemory<byte> data);

    /// <summary>
    /// True when <paramref name="bytes"/> more fit in the queue toward the server
    /// (<c>Gateway:Backends:MaxQueuedBytes</c>; an empty queue always takes one payload).
    /// </summary>
    bool HasRoomFor(int bytes);

    /// <summary>Completes when the queue toward the server has drained (some of) what it held, or the stream ended; check <see cref="HasRoomFor"/> again.</summary>
    Task WaitForRoomAsync(int bytes);

    /// <summary>
    /// Stops reading from the server once the read in progress has been handed over (at most one read buffer
    /// and the element it completes arrive after this), so the server's TCP window fills instead of the
    /// gateway's memory. Never blocks; a no-op while paused.
    /// </summary>
    void PauseReading();

    /// <summary>Reads from the server again after <see cref="PauseReading"/>. Never blocks; a no-op while reading.</summary>
    void ResumeReading();

    /// <summary>Sends a fresh stream header (XEP-0206 §5 restart, RFC 7395 re-open).</summary>
    void Restart(string? language);

    /// <summary>Sends a single space if nothing was written for the keepalive interval (called by the sweeper).</summary>
    void KeepAlive();

    /// <summary>Sends <c>&lt;/stream:stream&gt;</c>, then closes after a short grace period.</summary>
    void Close();

    /// <summary>Drops the TCP connection without a closing tag, so the server may keep an XEP-0198 session resumable.</summary>
    void Abort();

    /// <summary>Writes <paramref name="lastWrites"/>, then drops the connection as <see cref="Abort"/> does.</summary>
    void AbortAfter(IReadOnlyList<ReadOnlyMemory<byte>> lastWrites);
}
