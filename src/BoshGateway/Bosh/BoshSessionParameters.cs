namespace BoshGateway.Bosh;

/// <summary>What was agreed at session creation (XEP-0124 §7.2), in whole seconds where the protocol uses seconds.</summary>
public sealed record BoshSessionParameters(
    string Sid,
    long CreationRid,
    string Domain,
    string? Language,
    string Version,
    int Wait,
    int Hold,
    int Inactivity,
    int Polling,
    int MaxPause,
    bool Acks,
    string? InitialKey)
{
    /// <summary><c>requests</c>: the rid window and the most requests outstanding at once.</summary>
    public int Requests => Hold + 1;

    /// <summary>How long a request may wait for room in the queue toward the server (<c>Gateway:Backends:QueueFullTimeout</c>).</summary>
    public TimeSpan QueueFullTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Time allowed from creation to SASL success (<c>Gateway:Bosh:PreAuthTimeout</c>).</summary>
    public TimeSpan PreAuthTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Most bytes of server elements waiting for the client before the session stops reading from the server
    /// (<c>Gateway:Bosh:MaxQueuedBytes</c>); also bounds the bytes of answers kept for replay beyond the last <see cref="Requests"/>.
    /// </summary>
    public long MaxQueuedBytes { get; init; } = 1024 * 1024;

    /// <summary>
    /// The session was created over HTTPS (directly, or as <c>X-Forwarded-Proto</c> from a trusted proxy says): every
    /// later request must be too; one that is not gets its connection closed and the session goes on (XEP-0124 §19.1).
    /// </summary>
    public bool CreatedOverHttps { get; init; }

    /// <summary>A polling session (XEP-0124 §12): every request is answered at once.</summary>
    public bool IsPolling => Hold == 0 || Wait == 0;
}
